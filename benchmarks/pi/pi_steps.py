"""pi-check's work: a fresh bundle and the x86 reference on the host, then a Pi user's commands on each CPU."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import pi_service
from pi_report import CpuResult, Step, last_line, one_clear_line
from pi_runners import GUEST_PROBE, PI_CPUS, CannotRun, cpuinfo_text, qemu_version, run_logged

from dae_export.config import INT8_TYPES
from dae_export.steps.arm_forms import INT8_ASIMDDP as VARIANT

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_ROOT = "/var/cache/dae-edge/pi-root"

SHORT_TIMING = ["--batch", "1,64", "--warmup", "1", "--iters", "3"]  # the default loop takes >7 min emulated


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


def int8_types_of(folder: Path, variant: bool = False) -> str:
    """The int8 types of the bundle's model.int8.onnx, or of its variant for the dot product."""
    return json.loads((folder / "manifest.json").read_text())["metrics"]["onnx_int8" + "_asimddp" * variant]["types"]


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
        if (bundle / VARIANT).is_file():  # the int8 file the runtime loads on CPUs with the dot product
            models["int8_asimddp"] = f"bundle/dae-edge-rpi/{VARIANT}"
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
        verified, said = pi_service.verify_step(bundle, None if self.args.prepare_only else self.root)
        self.host_steps.append(Step("unit_verify", verified, 0.0, said))
        print(f"  host unit_verify: {'ok' if verified else 'FAILED'} ({said})", flush=True)
        shutil.rmtree(self.work / "inputs", ignore_errors=True)
        make_inputs(self.work / "inputs")
        cmd = [sys.executable, str(HERE / "model_outputs.py"), str(bundle / "golden.npz"), str(self.work / "x86.npz"),
               *(f"{k}={self.work / v}" for k, v in models.items())]  # fmt: skip
        return host_step(self.host_steps, "x86_outputs", cmd, self.logs) and verified

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

        def record(name: str, ok: bool, detail: str) -> None:
            result.steps.append(Step(name, ok, 0.0, detail[:300]))
            print(f"  {cpu} {name}: {'ok' if ok else 'FAILED'} ({detail[:300]})", flush=True)

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
        pi_service.run_checks(step, record, runner, self.work / "bundle" / "dae-edge-rpi")  # dae-live.service
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
            compared = json.loads(runner.path(f"{runner.home}/compare-int8.json").read_text())["model"]
            figures["int8_file_loaded"] = Path(compared).name  # the bundle's variant where the CPU has asimddp
            if figures["int8_file_loaded"] == VARIANT:
                figures["int8_types"] = int8_types_of(self.work / "bundle" / "dae-edge-rpi", variant=True)
        except (OSError, ValueError, KeyError):
            pass
        try:
            outputs = json.loads(runner.path(f"{runner.home}/figures.json").read_text())
        except (OSError, ValueError):
            return figures
        figures["fp32_max_abs_diff_vs_x86"] = outputs["fp32"]["max_abs_diff_vs_reference"]
        figures["int8_identical_to_x86"] = outputs["int8"]["identical_to_reference"]
        figures["int8_max_abs_diff_vs_x86"] = outputs["int8"]["max_abs_diff_vs_reference"]
        if "int8_asimddp" in outputs:  # x86 runs some of its s8s8 convs in float: not identical there, by design
            figures["int8_asimddp_identical_to_x86"] = outputs["int8_asimddp"]["identical_to_reference"]
            figures["int8_asimddp_max_abs_diff_vs_x86"] = outputs["int8_asimddp"]["max_abs_diff_vs_reference"]
            figures["int8_asimddp_psnr_loss_vs_fp32_db"] = outputs["int8_asimddp"].get("psnr_loss_vs_fp32_db")
            figures["int8_asimddp_outputs_sha256"] = outputs["int8_asimddp"].get("sha256")
        figures["int8_study"] = {t: outputs[t] for t in INT8_TYPES if t in outputs}
        return figures

    def report(self, cpus: list[str]) -> dict:
        gates = []
        for r in self.results:
            f = r.figures
            gates += [f.get("int8_identical_to_x86") is True, f.get("fp32_max_abs_diff_vs_x86", 1) <= 1e-5]
            gates += [f.get("int8_asimddp_psnr_loss_vs_fp32_db", 0.0) <= 0.2]  # the export's int8 gate, on ARM
        # the bundle's s8s8 file computes one function on every ARM CPU (x86 differs: float fallbacks)
        gates += [len({r.figures.get("int8_asimddp_outputs_sha256") for r in self.results}) <= 1]
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
