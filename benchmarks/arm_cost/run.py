"""`make arm-cost`: instructions per inference on emulated Raspberry Pi CPUs (a benchmark, not a test).

    python benchmarks/arm_cost/run.py [--models DIR] [--cpus cortex-a72,cortex-a76] [--json J] [--markdown M]

Builds (once, cached) a plugin-enabled qemu-aarch64 and the counting plugin (build_qemu.sh), reuses the
shared arm64 root of `make pi-check` with a venv of its own (guest.sh), then for each CPU model runs every
model of the Pi bundle (ONNX fp32 and int8, through dae_runtime's Denoiser) and its LiteRT peers at batch 1
and 64 under the plugin, one thread, PYTHONHASHSEED=0:
    instructions per inference = (count over N inferences - count over 0 inferences) / N, after warm-up.
Counts are not time (no caches, memory or per-class throughput): compare engines and graphs on one CPU model.
Standard library only on the host side. Exits 2 with one line when it cannot run here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "runtime/src"))  # dae_runtime.atomic is standard library only
from dae_runtime.atomic import atomic_path, write_json  # noqa: E402

sys.path.insert(0, str(HERE))
from report import CLASSES, markdown  # noqa: E402

# A Raspberry Pi style /proc/cpuinfo (64-bit Raspberry Pi OS): qemu 7.2 shows the guest the host's x86
# one, and onnxruntime's CPU detection crashes on it. Features as the Pi's kernel reports them.
CPUS = {
    "cortex-a72": ("Raspberry Pi 4 (Cortex-A72)", "0xd08", "0x0", "3", "fp asimd evtstrm crc32 cpuid"),
    "cortex-a76": (
        "Raspberry Pi 5 (Cortex-A76)", "0xd0b", "0x4", "1",
        "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp",
    ),
}  # fmt: skip
MODELS = (
    ("onnxruntime", "fp32", "model.onnx"),
    ("onnxruntime", "int8", "model.int8.onnx"),
    ("onnxruntime", "int8-asimddp", "model.int8.asimddp.onnx"),  # the bundle's int8 for CPUs with the dot product
    ("litert", "fp32", "model.tflite"),
    ("litert", "int8", "model.int8.tflite"),
)
# The engines a Pi user would pick instead (issue 26), from `dae export --ncnn --mnn` (the --models folder, or
# --peers): fp16 only where the CPU has FP16 arithmetic (ncnn and MNN fall back to fp32 without it).
PEER_MODELS = (
    ("ncnn", "fp32", "model.ncnn.param"),
    ("ncnn", "fp16", "model.ncnn.param"),
    ("ncnn", "int8", "model.int8.ncnn.param"),
    ("ncnn", "int8-nowinograd", "model.int8.ncnn.param"),  # what ncnn's int8 Winograd is worth (fp32 without
    # Winograd crashes: ncnn 1.0.20261020 segfaults on this model under qemu, on both CPU models)
    ("mnn", "fp32", "model.mnn"),
    ("mnn", "fp16", "model.mnn"),
    ("mnn", "int8", "model.int8.mnn"),
)
FP16_CPUS = ["cortex-a76"]
DOT_CPUS = [cpu for cpu, info in CPUS.items() if "asimddp" in info[4].split()]  # where the runtime loads the variant
RUNS = {1: 10, 64: 2}  # inferences counted per batch size (counts repeat within 1e-4, so few are needed)
WARMUP = 2


class CannotRun(Exception):
    pass


def cpuinfo_text(cpu: str, cores: int = 4) -> str:
    name, part, variant, revision, features = CPUS[cpu]
    block = (
        "processor\t: {i}\nBogoMIPS\t: 108.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        "CPU architecture: 8\nCPU variant\t: {variant}\nCPU part\t: {part}\nCPU revision\t: {revision}\n\n"
    )
    blocks = "".join(
        block.format(i=i, features=features, variant=variant, part=part, revision=revision) for i in range(cores)
    )
    return blocks + f"Hardware\t: BCM2835\nModel\t\t: {name}\n"


def preflight() -> None:
    if os.name != "posix" or os.geteuid() != 0:
        raise CannotRun("needs root (apt-get for the QEMU build, chroot and mount namespaces for the arm64 root)")
    missing = [tool for tool in ("unshare", "chroot", "flock", "mount") if shutil.which(tool) is None]
    if missing:
        raise CannotRun(f"missing tools: {', '.join(missing)}")
    if not Path("/lib64/ld-linux-x86-64.so.2").exists():
        raise CannotRun("the host must be x86_64 Linux (qemu runs from the host inside the arm64 root)")


def _step(args: list[str]) -> None:
    proc = subprocess.run(args, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise CannotRun(lines[-1].removeprefix("arm-cost: ") if lines else f"{args[0]} failed")


def parse_marks(text: str) -> dict[str, dict[str, int]]:
    marks = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 + len(CLASSES) and parts[0] == "mark":
            marks[parts[1]] = dict(zip(("total", *CLASSES), map(int, parts[2:]), strict=True))
    return marks


def per_inference(marks: dict[str, dict[str, int]], tags: dict[str, int], runs: int) -> dict[str, float]:
    """(count over N - count over 0) / N, for the total and each class."""

    def span(a: str, b: str, key: str) -> int:
        return marks[str(tags[b])][key] - marks[str(tags[a])][key]

    return {
        key: (span("n_start", "n_end", key) - span("zero_start", "zero_end", key)) / runs for key in ("total", *CLASSES)
    }


def count_cpu(cpu: str, models: list[dict], batches: list[int], session: dict, work: Path) -> list[dict]:
    (work / f"cpuinfo-{cpu}").write_text(cpuinfo_text(cpu))
    models = [m for m in models if cpu in m.get("cpus", [cpu])]
    plan = {"models": models, "batches": batches, "runs": {str(b): RUNS.get(b, 2) for b in batches}, "warmup": WARMUP,
            "session": session}  # fmt: skip
    (work / f"plan-{cpu}.json").write_text(json.dumps(plan))
    counts, marks_json = work / f"counts-{cpu}.txt", work / f"marks-{cpu}.json"
    env = {**os.environ, "PYTHONPATH": f"/mnt{REPO}/runtime/src:/mnt{REPO}/export/src"}  # dae_export: its engines
    guest_cmd = ["/opt/arm-cost-venv/bin/python", f"/mnt{HERE}/guest_count.py", f"/mnt{work}/plan-{cpu}.json",
                 f"/mnt{marks_json}"]  # fmt: skip
    cmd = [str(HERE / "guest.sh"), "count", cpu, str(work / f"cpuinfo-{cpu}"), str(counts), "--", *guest_cmd]
    proc = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 or not marks_json.exists():
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the guest failed on {cpu} (exit {proc.returncode}):\n{tail}")
    marks = parse_marks(counts.read_text())
    rows = []
    for m in json.loads(marks_json.read_text()):
        rows.append({
            "engine": m["engine"], "precision": m["precision"], "model": m["name"], "batch": m["batch"],
            "call": m.get("call", "invoke"), "replaced": cpu in m.get("replaced_on", []),
            "cpu": cpu, "runs": m["runs"], "per_inference": per_inference(marks, m["tags"], m["runs"]),
        })  # fmt: skip
    return rows


def guest_packages() -> str:
    return (HERE / "guest.sh").read_text().split('GUEST_PACKAGES="')[1].split('"')[0]


def bundle_models(models_dir: Path, dest: Path) -> dict[str, Path]:
    """Where each model file is: the Pi bundle's own ONNX models (its ARM forms, `dae export --target rpi`)
    when the folder has rpi-bundle.tar.gz, unpacked into dest; the rest (the LiteRT peers) in the folder."""
    found = {n: models_dir / n for _, _, n in MODELS if (models_dir / n).is_file()}
    archive = models_dir / "rpi-bundle.tar.gz"
    if archive.is_file():
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if member.isfile() and name.endswith(".onnx") and name in {n for _, _, n in MODELS}:
                    (dest / name).write_bytes(tar.extractfile(member).read())
                    found[name] = dest / name
    return found


def onnx_model(engine: str, precision: str, name: str, paths: dict[str, Path], call: str) -> dict:
    """A model of MODELS to count: the bundle's int8 variant for the dot product only on CPUs that have it, and
    the int8 file it replaces there marked as such (counted, but not what the runtime loads on them)."""
    model = {"engine": engine, "precision": precision, "name": name, "path": f"/mnt{paths[name]}"}
    model |= {"call": call} if engine == "onnxruntime" else {}
    if precision == "int8-asimddp":
        model["cpus"] = DOT_CPUS
    elif precision == "int8" and engine == "onnxruntime" and "model.int8.asimddp.onnx" in paths:
        model["replaced_on"] = DOT_CPUS
    return model


def peer_models(folder: Path, only: set) -> list[dict]:
    return [
        {"engine": e, "precision": p, "name": n, "path": f"/mnt{folder / n}"}
        | ({"cpus": FP16_CPUS} if p == "fp16" else {})
        for e, p, n in PEER_MODELS
        if (folder / n).is_file() and (not only or (e, p) in only)
    ]


def extra_onnx(items: list[str], call: str) -> list[dict]:
    """--onnx FORM=FILE: lever forms, counted like the bundle's (fp16 forms on the CPUs with FP16 only)."""
    models = []
    for item in items:
        form, _, path = item.partition("=")
        model = {"engine": "onnxruntime", "precision": form, "name": Path(path).name, "call": call,
                 "path": f"/mnt{Path(path).resolve()}"}  # fmt: skip
        models.append(model | ({"cpus": FP16_CPUS} if "fp16" in form else {}))
    return models


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=REPO / "models/seed/export", help="export folder")
    parser.add_argument("--peers", type=Path, help="ncnn and MNN models (default: the --models folder's)")
    parser.add_argument("--onnx", action="append", default=[], metavar="FORM=FILE",
                        help="also count this onnxruntime model as FORM (levers: fp16, graph forms)")  # fmt: skip
    parser.add_argument("--cpus", default="cortex-a72,cortex-a76")
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--only", default="", help="engine:precision pairs to run, e.g. onnxruntime:int8")
    parser.add_argument("--session", default="{}", help="JSON SessionConfig fields for onnxruntime")
    parser.add_argument("--call", default="denoiser", choices=("denoiser", "raw", "iobinding", "bare"),
                        help="how onnxruntime is called (guest_count.py onnx_runner)")  # fmt: skip
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results/arm_cost.json")
    parser.add_argument("--markdown", type=Path, default=REPO / "benchmarks/results/arm_cost.md")
    return parser.parse_args(argv)


def _result_record(args: argparse.Namespace, models_dir: Path, cpus: list[str], started: float, rows: list) -> dict:
    qemu = Path(os.environ.get("DAE_QEMU_CACHE", "/var/cache/dae-edge/qemu-plugins")) / "VERSION"
    return {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "qemu": qemu.read_text().strip() if qemu.exists() else "7.2",
        "guest": "Debian 12 arm64, Python 3.11.2, "
        + (HERE / "guest.sh").read_text().split('GUEST_PACKAGES="')[1].split('"')[0],
        "models_dir": str(models_dir.relative_to(REPO) if models_dir.is_relative_to(REPO) else models_dir),
        "onnx_models_from": "rpi-bundle.tar.gz" if (models_dir / "rpi-bundle.tar.gz").is_file() else "the folder",
        "peers_from": str(args.peers or models_dir),
        "session": json.loads(args.session),
        "cpus": cpus,
        "method": f"(count over N inferences - count over 0) / N after {WARMUP} warm-up calls; one thread; "
        "PYTHONHASHSEED=0",
        "seconds": round(time.time() - started, 1),
        "results": rows,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    cpus = [c for c in args.cpus.split(",") if c]
    if unknown := [c for c in cpus if c not in CPUS]:
        print(f"arm-cost: unknown CPU model {unknown[0]} (choose from {', '.join(CPUS)})", file=sys.stderr)
        return 2
    only = {tuple(p.split(":")) for p in args.only.split(",") if p}
    models_dir = args.models.resolve()
    unpacked = tempfile.TemporaryDirectory(prefix="arm-cost-bundle-")  # under /tmp: the guest sees it at /mnt/tmp
    paths = bundle_models(models_dir, Path(unpacked.name))
    models = [
        onnx_model(e, p, n, paths, args.call) for e, p, n in MODELS if n in paths and (not only or (e, p) in only)
    ]
    if not paths:  # the peers and lever forms are counted beside the bundle's models, never instead
        print(
            f"arm-cost: no models in {models_dir} (run `make ship` or `dae export ... --int8 --tflite`)",
            file=sys.stderr,
        )
        return 2
    models += peer_models((args.peers or models_dir).resolve(), only) + extra_onnx(args.onnx, args.call)
    if not models:
        print(f"arm-cost: --only {args.only} matches no model", file=sys.stderr)
        return 2
    try:
        preflight()
        print("arm-cost: plugin-enabled QEMU and counting plugin (cached after the first build)", file=sys.stderr)
        _step([str(HERE / "build_qemu.sh")])
        print("arm-cost: arm64 root and its venv (shared with make pi-check)", file=sys.stderr)
        _step([str(HERE / "guest.sh"), "venv"])
    except CannotRun as exc:
        print(f"arm-cost: cannot run: {exc}", file=sys.stderr)
        return 2
    batches = [int(b) for b in args.batches.split(",")]
    started, rows = time.time(), []
    print(
        f"arm-cost: counting on {', '.join(cpus)} at once ({len(models)} models x batches {batches})", file=sys.stderr
    )
    with tempfile.TemporaryDirectory(prefix="arm-cost-") as tmp, ThreadPoolExecutor(len(cpus)) as pool:
        # one emulated process per CPU model, side by side: the counts do not depend on the host's load
        jobs = [pool.submit(count_cpu, cpu, models, batches, json.loads(args.session), Path(tmp)) for cpu in cpus]
        try:
            for job in jobs:
                rows += job.result()
        except RuntimeError as exc:
            print(f"arm-cost: {exc}", file=sys.stderr)
            return 1
    result = _result_record(args, models_dir, cpus, started, rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.json, result)
    with atomic_path(args.markdown) as tmp:
        tmp.write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
