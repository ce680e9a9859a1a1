"""`make pi-check`: the current code's Raspberry Pi bundle on an emulated Raspberry Pi OS 64-bit.

An arm64 Debian 12 "bookworm" root (build_root.sh: Python 3.11.2 and no libGL, like Raspberry Pi OS
Lite) runs under qemu-user with the CPU model of a Pi 4 (cortex-a72) and a Pi 5 (cortex-a76), never
QEMU's default `max` (SVE, i8mm: kernels no Pi runs). For each CPU the bundle is installed exactly as
its INSTALL.md says, then every command a Pi user runs is tried and the outputs are compared with the
same models on this x86 host. Writes benchmarks/results/pi_check.json; exits 1 on any failure and 2,
with one line, when it cannot run here. Needs root (chroot, mount namespaces); not part of `make test`.
Emulated timings say nothing about a Pi's speed: they only show where the time of the check goes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_ROOT = "/var/cache/dae-edge/pi-root"
REPORT = REPO / "benchmarks" / "results" / "pi_check.json"
CPUS = ("cortex-a72", "cortex-a76")
INT8_TYPES = ("u8s8", "s8s8")
SHORT_TIMING = ["--batch", "1,64", "--warmup", "1", "--iters", "3"]  # the default loop takes >7 min emulated

# What a Pi's kernel shows in /proc/cpuinfo (4 cores). qemu-user 7.2 would show the host's x86 file,
# and onnxruntime's cpuinfo parser then crashes on import.
PI_CPUS = {
    "cortex-a72": {"board": "Raspberry Pi 4 Model B", "part": "0xd08", "variant": "0x0", "revision": "3",
                   "features": "fp asimd evtstrm crc32 cpuid"},
    "cortex-a76": {"board": "Raspberry Pi 5 Model B", "part": "0xd0b", "variant": "0x4", "revision": "1",
                   "features": "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm "
                               "lrcpc dcpop asimddp"},
}  # fmt: skip
# AT_HWCAP bits (linux/arch/arm64/include/uapi/asm/hwcap.h): what qemu's CPU model really offers.
HWCAP_BITS = {"atomics": 8, "asimddp": 20, "sve": 22}

GUEST_PROBE = (
    "import ctypes, json, platform, sys; h = ctypes.CDLL(None).getauxval(16); "
    "print(json.dumps({'python': platform.python_version(), 'machine': platform.machine(), "
    f"'hwcap': {{k: bool(h >> b & 1) for k, b in {HWCAP_BITS!r}.items()}}}}))"
)


class CannotRun(Exception):
    """The check cannot run on this machine; the message says what is missing, in one line."""


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class CpuResult:
    cpu: str
    python: str = ""
    hwcap: dict = field(default_factory=dict)
    opencv: str = ""
    libgl_present: bool | None = None
    steps: list[Step] = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)


def cpuinfo_text(cpu: str) -> str:
    spec = PI_CPUS[cpu]
    block = (
        "processor\t: {n}\nBogoMIPS\t: 108.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU variant\t: {variant}\nCPU part\t: {part}\nCPU revision\t: {revision}\n\n"
    )
    body = "".join(block.format(n=n, **spec) for n in range(4))
    return body + f"Revision\t: c03111\nModel\t\t: {spec['board']}\n"


def check_host(root: Path) -> None:
    if os.geteuid() != 0:
        raise CannotRun("needs root (chroot and mount namespaces): run `sudo make pi-check`")
    for tool, package in (("unshare", "util-linux"), ("chroot", "coreutils"), ("debootstrap", "debootstrap")):
        if shutil.which(tool) is None:
            raise CannotRun(f"no {tool}: apt-get install -y {package}")
    if not Path("/usr/bin/qemu-aarch64-static").exists():
        raise CannotRun("no qemu-user-static: apt-get install -y qemu-user-static binfmt-support")


def run_logged(cmd: list[str], log: Path, timeout: float, **kw) -> tuple[int, str, float]:
    """Run cmd in its own process group, keep its output in log; return (exit code, output, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, **kw)
    try:
        raw, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: qemu children too, not just unshare
        raw, _ = proc.communicate()
        code, raw = -1, f"timed out after {timeout:.0f} s\n".encode() + (raw or b"")
    output = raw.decode(errors="replace")
    log.write_text(output)
    return code, output, time.perf_counter() - t0


class Guest:
    """Commands inside the root, one private mount namespace each: /proc with a Pi's cpuinfo, /dev, /sys, DNS.

    Without /sys, onnxruntime's cpuinfo prints errors on every start (a Pi has /sys).
    """

    def __init__(self, root: Path, cpu: str, logs: Path, name: str = "pi-check"):
        self.root, self.cpu, self.logs = root, cpu, logs
        self.home = f"/opt/{name}-{cpu}"  # this check's own corner of the shared root
        self.host_home = root / self.home.lstrip("/")
        self.env = guest_env(self.home, cpu)

    def path(self, guest_path: str) -> Path:
        return self.root / guest_path.lstrip("/")

    def run(self, name: str, command: str, timeout: float = 900) -> tuple[int, str, float]:
        root = shlex.quote(str(self.root))
        setup = (
            f"set -e; mount -t proc proc {root}/proc; "
            f"mount --bind {shlex.quote(str(self.host_home / 'cpuinfo'))} {root}/proc/cpuinfo; "
            f"mount --rbind /dev {root}/dev; mount --rbind /sys {root}/sys; "
            f"touch {root}/etc/resolv.conf; mount --bind /etc/resolv.conf {root}/etc/resolv.conf; "
            f"exec chroot {root} /usr/bin/env -i {' '.join(shlex.quote(e) for e in self.env)} "
            f"/bin/bash -c {shlex.quote('set -euo pipefail; cd ~; ' + command)}"
        )
        return run_logged(["unshare", "-m", "--propagation", "private", "sh", "-c", setup],
                          self.logs / f"{self.cpu}-{name}.log", timeout)  # fmt: skip


class Native:
    """The same commands on this machine, for a real aarch64 host (the arm64 CI job): no emulator."""

    def __init__(self, work: Path, logs: Path):
        self.cpu, self.logs = "native", logs
        self.home = str(work / "home-native")
        self.host_home = Path(self.home)
        self.env = {**os.environ, "HOME": self.home}
        self.env.pop("DISPLAY", None)
        self.env.pop("WAYLAND_DISPLAY", None)

    def path(self, guest_path: str) -> Path:
        return Path(guest_path)

    def run(self, name: str, command: str, timeout: float = 900) -> tuple[int, str, float]:
        return run_logged(["bash", "-c", "set -euo pipefail; cd ~; " + command], self.logs / f"native-{name}.log",
                          timeout, env=self.env)  # fmt: skip


def guest_env(home: str, cpu: str) -> list[str]:
    """A clean environment (no DISPLAY), the CPU model, and the host's pip index/proxy settings."""
    env = {
        "HOME": home,
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "QEMU_CPU": cpu,
        "PIP_CACHE_DIR": "/opt/pi-check-pip-cache",  # wheels are downloaded once per root, installed each run
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # Byte-compiling every installed module (sympy alone: ~1,500 files) takes many minutes emulated;
        # the install commands stay INSTALL.md's. Python compiles what is imported on first use.
        "PIP_NO_COMPILE": "1",
        # venv's pip uses its own certifi bundle; the system one also holds the host's extra CAs.
        "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
    }
    for key, value in os.environ.items():
        local = "file:" in value or value.startswith("/")  # the host's local wheel folders are x86 and absent
        if key.lower() in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
            env[key] = value
        elif key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT") and not local:
            env[key] = value
    index = pip_config("global.index-url")
    if index and "PIP_INDEX_URL" not in env and not index.startswith("file:"):
        env["PIP_INDEX_URL"] = index
    return [f"{k}={v}" for k, v in env.items()]


def pip_config(key: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "config", "get", key], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def install_block(install_md: str) -> str:
    """The indented command block of INSTALL.md: the user's install steps, run as written."""
    lines, started = [], False
    for line in install_md.splitlines():
        if line.startswith("    ") and line.strip():
            lines.append(line[4:])
            started = True
        elif started and line.strip():
            break
    if not lines:
        raise ValueError("INSTALL.md has no indented command block")
    return "\n".join(lines)


def make_inputs(folder: Path) -> None:
    """Files a Pi user would denoise: loose noisy digits, a photo of digits on paper, a short video."""
    import cv2
    import numpy as np

    from dae_runtime.noise import NoiseSpec
    from dae_runtime.synthetic import paper_frame, synthetic_digits

    folder.mkdir(parents=True)
    digits = synthetic_digits(8)
    noisy = NoiseSpec("gaussian", 0.5).apply(digits, np.random.default_rng(0))
    for i in range(3):
        cv2.imwrite(str(folder / f"digit-{i}.png"), (noisy[i] * 255).astype(np.uint8))
    cv2.imwrite(str(folder / "paper.png"), paper_frame(digits))
    writer = cv2.VideoWriter(str(folder / "paper.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 15, (640, 480))
    for i in range(6):
        writer.write(paper_frame(digits, shift=(i % 3, 2 * (i % 4))))
    writer.release()


def host_step(steps: list[Step], name: str, cmd: list[str], logs: Path, timeout: float = 1800) -> bool:
    code, output, seconds = run_logged(cmd, logs / f"host-{name}.log", timeout, cwd=REPO)
    steps.append(Step(name, code == 0, round(seconds, 1), last_line(output) if code else ""))
    print(f"  host {name}: {'ok' if code == 0 else 'FAILED'} ({seconds:.0f} s)", flush=True)
    return code == 0


def last_line(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


def int8_types_of(folder: Path) -> str:
    return json.loads((folder / "manifest.json").read_text())["metrics"]["onnx_int8"]["types"]


class PiCheck:
    def __init__(self, args):
        self.args = args
        self.root = Path(os.environ.get("DAE_PI_ROOT", DEFAULT_ROOT))
        self.work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="dae-pi-check-"))
        self.logs = self.work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.host_steps: list[Step] = []
        self.results: list[CpuResult] = []
        self.models_file = self.work / "models.json"  # name -> file under work/, run on both sides

    def build_root(self) -> bool:
        t0 = time.perf_counter()
        proc = subprocess.run(["bash", str(HERE / "build_root.sh")], capture_output=True, text=True)
        if proc.returncode == 2:
            raise CannotRun(last_line(proc.stderr) or "the arm64 root cannot be built")
        said = last_line(proc.stdout + proc.stderr)
        self.host_steps.append(Step("root", proc.returncode == 0, round(time.perf_counter() - t0, 1), said))
        print(f"  host root: {said}", flush=True)
        return proc.returncode == 0

    def prepare(self) -> bool:
        """A fresh bundle from the current code, both int8 flavours, inputs and the x86 reference outputs."""
        dae = str(Path(sys.executable).parent / "dae")
        export = self.work / "export"
        cmd = [dae, "export", "--model", self.args.model, "--out", str(export), "--int8", "--target", "rpi"]
        if self.args.runtime_wheel:
            cmd += ["--runtime-wheel", self.args.runtime_wheel]
        if not host_step(self.host_steps, "export", cmd, self.logs):
            return False
        shutil.rmtree(self.work / "bundle", ignore_errors=True)
        shutil.unpack_archive(export / "rpi-bundle.tar.gz", self.work / "bundle")
        bundle = self.work / "bundle" / "dae-edge-rpi"
        models = {"fp32": "bundle/dae-edge-rpi/model.onnx", "int8": "bundle/dae-edge-rpi/model.int8.onnx"}
        # Both int8 flavours, to choose the Pi's by measurement (benchmarks/README.md).
        for types in INT8_TYPES if self.args.int8_study else ():
            folder = self.work / f"export-{types}"
            # No accuracy gate here (it measures on this x86 host): the plain quantized model of each flavour.
            cmd = [dae, "export", "--model", self.args.model, "--out", str(folder), "--int8", "--int8-types", types,
                   "--max-int8-loss", "100"]  # fmt: skip
            if not host_step(self.host_steps, f"export_{types}", cmd, self.logs):
                return False
            (self.work / "models").mkdir(exist_ok=True)
            shutil.copy2(folder / "model.int8.onnx", self.work / "models" / f"{types}.onnx")
            models[types] = f"models/{types}.onnx"  # outside any export folder: no manifest applies
        self.models_file.write_text(json.dumps({"bundle_int8_types": int8_types_of(bundle), "models": models}))
        shutil.rmtree(self.work / "inputs", ignore_errors=True)
        make_inputs(self.work / "inputs")
        cmd = [sys.executable, str(HERE / "model_outputs.py"), str(bundle / "golden.npz"), str(self.work / "x86.npz"),
               *(f"{k}={self.work / v}" for k, v in models.items())]  # fmt: skip
        return host_step(self.host_steps, "x86_outputs", cmd, self.logs)

    def check(self, runner) -> CpuResult:
        """Install the bundle as INSTALL.md says, then every command a Pi user runs."""
        cpu = runner.cpu
        result = CpuResult(cpu)
        plan = json.loads(self.models_file.read_text())
        self.bundle_types = plan["bundle_int8_types"]
        home = runner.host_home
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        if cpu in PI_CPUS:
            (home / "cpuinfo").write_text(cpuinfo_text(cpu))
        shutil.copy2(self.work / "export" / "rpi-bundle.tar.gz", home)
        shutil.copytree(self.work / "inputs", home / "inputs")
        if (self.work / "models").is_dir():
            shutil.copytree(self.work / "models", home / "models")
        shutil.copy2(self.work / "x86.npz", home)
        shutil.copy2(HERE / "model_outputs.py", home)
        install = install_block((self.work / "bundle" / "dae-edge-rpi" / "INSTALL.md").read_text())

        def step(name: str, command: str, expect=lambda code, out: code == 0, timeout: float = 900) -> str:
            code, output, seconds = runner.run(name, command, timeout)
            ok = bool(expect(code, output))
            detail = "" if ok else f"exit {code}: {last_line(output)}"
            if name == "live_no_display":
                detail = f"exit {code}: {output.strip()[:300]}"
            result.steps.append(Step(name, ok, round(seconds, 1), detail))
            print(f"  {cpu} {name}: {'ok' if ok else 'FAILED'} ({seconds:.0f} s){' ' + detail if not ok else ''}",
                  flush=True)  # fmt: skip
            return output

        # Under QEMU the CPU model must be the Pi's (no SVE); a native runner is whatever ARM core it is.
        no_sve = cpu not in PI_CPUS or None
        probe = step("probe", f"python3 -c {shlex.quote(GUEST_PROBE)}",
                     lambda c, o: c == 0 and (no_sve or '"sve": false' in o))  # fmt: skip
        try:
            info = json.loads(probe.strip().splitlines()[-1])
            result.python, result.hwcap = info["python"], info["hwcap"]
        except (ValueError, IndexError, KeyError):
            pass
        step("install", install, timeout=2400)  # INSTALL.md, as written (it ends with `dae verify .`)
        act = ". ~/dae/bin/activate && "
        step("verify_archive", act + "mkdir -p ~/verify && dae verify ~/rpi-bundle.tar.gz --extract-to ~/verify")
        step("verify_folder", act + "dae verify ~/dae-edge-rpi")
        for precision, model in (("fp32", "model.onnx"), ("int8", "model.int8.onnx")):
            step(f"compare_{precision}", act + f"cd ~/dae-edge-rpi && dae compare --golden golden.npz --model {model} "
                 f"{' '.join(SHORT_TIMING)} --json ~/compare-{precision}.json")  # fmt: skip
        models = " ".join(f"{k}={v.replace('bundle/', '')}" for k, v in plan["models"].items())
        step("outputs_vs_x86", act + "python model_outputs.py dae-edge-rpi/golden.npz outputs.npz --against x86.npz "
             f"--json figures.json {models}")  # fmt: skip
        step("denoise_files", act + "dae denoise inputs/digit-0.png inputs/digit-1.png inputs/digit-2.png "
             "--out denoised && test -s denoised/digit-2.denoised.png")  # fmt: skip
        step("denoise_digits", act + "dae denoise inputs/paper.png --digits --out denoised-digits "
             "&& ls denoised-digits | grep -q paper")  # fmt: skip
        step("live_headless", act + "dae live --source inputs/paper.mp4 --headless --out live.mp4 && test -s live.mp4")
        step("live_no_display", act + "dae live --source inputs/paper.mp4", one_clear_line)
        cv = step("opencv", act + "python -c 'import cv2; print(cv2.__version__)' && pip list 2>/dev/null "
                  "| grep -i '^opencv' && { test -e /usr/lib/aarch64-linux-gnu/libGL.so.1 && echo libGL: yes "
                  "|| echo libGL: no; }")  # fmt: skip
        result.opencv = ", ".join(" ".join(ln.split()[:2]) for ln in cv.splitlines() if ln.lower().startswith("opencv"))
        result.libgl_present = ("libGL: yes" in cv) if "libGL:" in cv else None
        result.figures = self.figures(runner)
        return result

    def figures(self, runner) -> dict:
        """Accuracy on the Pi (against Keras and fp32) and agreement with x86, from the files it wrote."""
        figures: dict = {"int8_types": self.bundle_types}
        try:
            fp32 = json.loads(runner.path(f"{runner.home}/compare-fp32.json").read_text())["accuracy"]
            int8 = json.loads(runner.path(f"{runner.home}/compare-int8.json").read_text())["accuracy"]
            figures["fp32_psnr_db"] = round(fp32["psnr_db"], 3)
            figures["fp32_max_abs_diff_vs_keras"] = fp32["max_abs_diff_vs_keras"]
            figures["int8_psnr_db"] = round(int8["psnr_db"], 3)
            figures["int8_psnr_loss_db"] = round(fp32["psnr_db"] - int8["psnr_db"], 4)
        except (OSError, ValueError, KeyError):
            pass
        try:
            outputs = json.loads(runner.path(f"{runner.home}/figures.json").read_text())
        except (OSError, ValueError):
            return figures
        figures["fp32_max_abs_diff_vs_x86"] = outputs["fp32"]["max_abs_diff_vs_reference"]
        figures["int8_identical_to_x86"] = outputs["int8"]["identical_to_reference"]
        figures["int8_max_abs_diff_vs_x86"] = outputs["int8"]["max_abs_diff_vs_reference"]
        figures["int8_study"] = {t: outputs[t] for t in INT8_TYPES if t in outputs}
        return figures

    def report(self, cpus: list[str]) -> dict:
        gates = []
        for r in self.results:
            f = r.figures
            gates += [f.get("int8_identical_to_x86") is True, f.get("fp32_max_abs_diff_vs_x86", 1) <= 1e-5]
        ok = all(s.ok for s in self.host_steps) and all(r.ok for r in self.results) and all(gates)
        return {
            "date": datetime.date.today().isoformat(),
            "ok": ok and len(self.results) == len(cpus),
            "host": {"machine": platform.machine(), "qemu": qemu_version(), "root": str(self.root)},
            "bundle_int8_types": getattr(self, "bundle_types", None),
            "short_timing": " ".join(SHORT_TIMING),
            "host_steps": [asdict(s) for s in self.host_steps],
            "cpus": {r.cpu: {**asdict(r), "ok": r.ok} for r in self.results},
            "logs": str(self.logs),
        }


def _sci(x) -> str:
    return "-" if x is None else f"{x:.1e}"


def markdown(report: dict) -> str:
    """The report as two Markdown tables: each step's status and time, then the figures."""
    cpus = report["cpus"]
    names = list(cpus)
    lines = ["| step (seconds, emulated) | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    steps = [s["name"] for s in cpus[names[0]]["steps"]] if names else []
    for i, step in enumerate(steps):
        cells = []
        for cpu in names:
            s = cpus[cpu]["steps"][i]
            cells.append(f"{s['seconds']:.0f}" + ("" if s["ok"] else " FAILED"))
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines += ["", "| figure | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    rows = [
        ("Python", lambda c: c["python"]),
        ("OpenCV installed (libGL present)", lambda c: f"{c['opencv']} ({'yes' if c['libgl_present'] else 'no'})"),
        ("fp32 PSNR dB (golden digits)", lambda c: f"{c['figures'].get('fp32_psnr_db', '-')}"),
        ("fp32 max abs diff vs Keras", lambda c: _sci(c["figures"].get("fp32_max_abs_diff_vs_keras"))),
        ("fp32 max abs diff vs x86", lambda c: _sci(c["figures"].get("fp32_max_abs_diff_vs_x86"))),
        ("int8 PSNR loss vs fp32, dB", lambda c: f"{c['figures'].get('int8_psnr_loss_db', '-')}"),
        ("int8 outputs identical to x86", lambda c: f"{c['figures'].get('int8_identical_to_x86', '-')}"),
    ]
    for label, cell in rows:
        try:
            lines.append(f"| {label} | " + " | ".join(cell(cpus[c]) for c in names) + " |")
        except (KeyError, TypeError):
            continue
    return "\n".join(lines) + "\n"


def one_clear_line(code: int, output: str) -> bool:
    """An expected failure (no display) reaches the user as one line and exit 1 or 2, never a traceback."""
    lines = [ln for ln in output.splitlines() if ln.strip()]
    return code in (1, 2) and len(lines) == 1 and "Traceback" not in output


def qemu_version() -> str:
    if not Path("/usr/bin/qemu-aarch64-static").exists():
        return ""
    proc = subprocess.run(["/usr/bin/qemu-aarch64-static", "--version"], capture_output=True, text=True)
    match = re.search(r"version (\S+)", proc.stdout)
    return match.group(1) if match else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", default=",".join(CPUS), help="QEMU CPU models (default: %(default)s)")
    parser.add_argument("--model", default=str(REPO / "models" / "seed" / "model.keras"))
    parser.add_argument("--runtime-wheel", help="Bundle this runtime wheel instead of one built from the checkout.")
    parser.add_argument(
        "--no-int8-study",
        dest="int8_study",
        action="store_false",
        help="Skip the u8s8-vs-s8s8 exports (two extra exports on the host).",
    )
    parser.add_argument("--work", help="Work folder (default: a new temporary one).")
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="Only build the bundle, inputs and x86 outputs into --work (for the arm64 CI job).",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="Check a --work folder prepared elsewhere on this aarch64 machine, without QEMU.",
    )
    parser.add_argument(
        "--prepared", action="store_true", help="--work was already prepared (--prepare-only): check it as it is."
    )
    parser.add_argument("--name", default="pi-check", help="Home folders in the root: /opt/NAME-CPU.")
    parser.add_argument("--report", default=str(REPORT))
    args = parser.parse_args()  # fmt: skip
    cpus = ["native"] if args.native else [c.strip() for c in args.cpus.split(",") if c.strip()]
    unknown = [c for c in cpus if c not in PI_CPUS and not args.native]
    if unknown:
        print(f"pi-check: unknown CPU model {', '.join(unknown)}; choose from {', '.join(PI_CPUS)}", file=sys.stderr)
        return 2
    if args.native and platform.machine() != "aarch64":
        print(f"pi-check: --native needs an aarch64 machine, this is {platform.machine()}", file=sys.stderr)
        return 2
    if not (args.native or args.prepare_only):
        try:
            check_host(Path(os.environ.get("DAE_PI_ROOT", DEFAULT_ROOT)))
        except CannotRun as exc:
            print(f"pi-check: cannot run: {exc}", file=sys.stderr)
            return 2
    check = PiCheck(args)
    print(f"pi-check: work folder {check.work}", flush=True)
    try:
        if args.native:
            check.results.append(check.check(Native(check.work, check.logs)))
        elif args.prepare_only:
            return 0 if check.prepare() else 1
        else:
            if check.build_root() and (args.prepared or check.prepare()):
                for cpu in cpus:
                    check.results.append(check.check(Guest(check.root, cpu, check.logs, args.name)))
    except CannotRun as exc:
        print(f"pi-check: cannot run: {exc}", file=sys.stderr)
        return 2
    report = check.report(cpus)
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(args.report).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(args.report)
    if report["cpus"]:
        Path(args.report).with_suffix(".md").write_text(markdown(report))
    for r in check.results:
        f = r.figures
        print(f"pi-check {r.cpu}: Python {r.python}, {sum(s.ok for s in r.steps)}/{len(r.steps)} steps ok, "
              f"fp32 max diff vs Keras {f.get('fp32_max_abs_diff_vs_keras', float('nan')):.1e}, "
              f"int8 ({f.get('int8_types')}) PSNR loss {f.get('int8_psnr_loss_db', float('nan')):.3f} dB, "
              f"int8 identical to x86: {f.get('int8_identical_to_x86')}")  # fmt: skip
    print(f"pi-check: {'PASSED' if report['ok'] else 'FAILED'}; report {args.report}, logs {check.logs}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
