"""`make arm-cost`, the live loop: instructions per frame of the real `dae live` session on emulated Raspberry
Pi CPUs, split by stage (a benchmark, not a test; as root, after run.py, whose QEMU and arm64 root it uses).

    .venv/bin/python benchmarks/arm_cost/live_loop.py [--cpus cortex-a72,cortex-a76] [--models seed,lowres-unet2]
        [--modes serve,out] [--frames 30] [--json benchmarks/results/arm_cost.json]

The session is dae_runtime.live.session.run_session with its threads and queues, as `dae live --source
clip.mp4 --headless --serve 127.0.0.1:PORT` (one viewer: this host reading /stream.mjpg, not counted)
or `--headless --out live.mp4` runs it, the model the Pi bundle's int8 (rpi-bundle.tar.gz) with one
onnxruntime thread, in a venv holding what the bundle's requirements-rpi.txt pins (guest.sh live-venv).
The clip: 640x480 desk-webcam pages of 10 handwritten digits (dae_runtime.scenes, builtin validation
digits), each held for 5 frames with a pixel of jitter and fresh camera noise (sigma 0.02), at 30 FPS.
Every frame is processed (none dropped: a Pi that keeps up with its camera); the browser view is
encoded at most serve_fps (dae live's default unless --serve-fps) per second of the clip's own clock.
Counted under libinsn_threads.so (per-thread counters): the whole loop is every thread's instructions
between marks around frames WARMUP .. WARMUP + N - 1; each stage is bracketed by marks on the thread
that runs it (capture: the source's read, decode included; finder: gray + find + crops; noise;
model; compose: the rest of the processing; encode: the browser view's JPEGs, or the recording's
JPEGs, fragments and writes); other = whole - stages (queues, hand-overs, the loop, the server's
sends). The marks' own cost is measured and taken out. Results: results/arm_cost_live.json (rows of the
same CPU, model and loop replaced, others kept) and results/arm_cost_live.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import live_marks  # noqa: E402
from live_clip import render_clip  # noqa: E402
from live_report import markdown, merge_rows  # noqa: E402
from run import CPUS, CannotRun, _step, cpuinfo_text, preflight  # noqa: E402

WARMUP = 5


def bundle_int8(model: str, dest: Path, bundles: Path | None = None) -> Path:
    """The int8 model a Pi runs, as `dae live --model` names it in the unpacked rpi-bundle.tar.gz: model.int8.onnx,
    beside its manifest, so that the guest's Denoiser loads the bundle's variant for the emulated CPU when there is
    one (model.int8.asimddp.onnx on the A76: dae_runtime.cpu_variant), as on a Pi."""
    archive = (bundles / model if bundles else REPO / "models" / model / "export") / "rpi-bundle.tar.gz"
    folder = dest / model
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if member.isfile() and (name == "manifest.json" or name.endswith(".onnx")):
                folder.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(tar.extractfile(member).read())
    return folder / "model.int8.onnx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch(port: int, proc: subprocess.Popen, got: list) -> None:
    """One viewer on this host: read /stream.mjpg until the session closes it (appending each JPEG's size)."""
    while proc.poll() is None:
        try:
            conn = socket.create_connection(("127.0.0.1", port), timeout=600)
            break
        except OSError:
            time.sleep(0.5)  # the emulated session is still starting
    else:
        return
    with conn, conn.makefile("rb") as stream:
        conn.sendall(f"GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        for line in stream:
            if line.lower().startswith(b"content-length:"):
                got.append(int(line.split(b":")[1]))


def count(cpu: str, model: str, model_path: Path, mode: str, clip: Path, work: Path, args) -> dict:
    tag = f"{cpu}-{model}-{mode}"
    (work / f"cpuinfo-{cpu}").write_text(cpuinfo_text(cpu))
    plan = {"video": f"/mnt{clip}", "model": f"/mnt{model_path}", "mode": mode, "port": free_port(),
            "out": f"/mnt{work}/{tag}.mp4", "warmup": WARMUP, "frames": args.frames,
            "serve_fps": args.serve_fps}  # fmt: skip
    (work / f"plan-{tag}.json").write_text(json.dumps(plan))
    counts, stages_path = work / f"counts-{tag}.txt", work / f"stages-{tag}.json"
    env = {**os.environ, "PYTHONPATH": f"/mnt{REPO}/runtime/src", "ARM_COST_PLUGIN": "libinsn_threads.so"}
    guest = ["/opt/arm-live-venv/bin/python", f"/mnt{HERE}/guest_live.py", f"/mnt{work}/plan-{tag}.json",
             f"/mnt{stages_path}"]  # fmt: skip
    cmd = [str(HERE / "guest.sh"), "count", cpu, str(work / f"cpuinfo-{cpu}"), str(counts), "--", *guest]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    viewed: list[int] = []
    viewer = threading.Thread(target=watch, args=(plan["port"], proc, viewed), daemon=True)
    if mode == "serve":
        viewer.start()
    _, stderr = proc.communicate()
    if proc.returncode != 0 or not stages_path.exists():
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"the guest failed on {tag} (exit {proc.returncode}):\n{tail}")
    stages = json.loads(stages_path.read_text())
    frames = live_marks.per_frame(live_marks.parse(counts.read_text()), stages, (WARMUP, args.frames))
    digits = stages["digits"][WARMUP : WARMUP + args.frames]
    return {"engine": "onnxruntime", "precision": "int8", "batch": round(sum(digits) / len(digits), 2), "cpu": cpu,
            "model": model, "file": stages["model_file"], "loop": mode, "viewers": int(mode == "serve"),
            "frames": args.frames, "viewer_frames": len(viewed), "serve_fps": stages["serve_fps"],
            "per_frame": frames}  # fmt: skip


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpus", default="cortex-a72,cortex-a76")
    parser.add_argument("--models", default="seed,lowres-unet2", help="models/NAME/export/rpi-bundle.tar.gz")
    parser.add_argument("--modes", default="serve,out")
    parser.add_argument(
        "--bundles",
        type=Path,
        default=None,
        help="DIR/NAME/rpi-bundle.tar.gz instead of the shipped models/NAME/export/ (a fresh export)",
    )
    parser.add_argument("--frames", type=int, default=30, help="frames counted, after 5 of warm-up")
    parser.add_argument("--serve-fps", type=float, default=None, help="the browser view's cap (default: dae live's)")
    parser.add_argument("--camera-noise", type=float, default=0.01, help="sigma of the clip's camera noise (0..1)")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks/results/arm_cost_live.json")
    parser.add_argument("--markdown", type=Path, default=REPO / "benchmarks/results/arm_cost_live.md")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    cpus, models, modes = (a.split(",") for a in (args.cpus, args.models, args.modes))
    if unknown := [c for c in cpus if c not in CPUS]:
        print(f"arm-cost: unknown CPU model {unknown[0]} (choose from {', '.join(CPUS)})", file=sys.stderr)
        return 2
    try:
        preflight()
        print("arm-cost: the live loop: QEMU, the arm64 root and the Pi bundle's venv (cached)", file=sys.stderr)
        _step([str(HERE / "build_qemu.sh")])
        _step([str(HERE / "guest.sh"), "live-venv"])
    except CannotRun as exc:
        print(f"arm-cost: cannot run: {exc}", file=sys.stderr)
        return 2
    started, rows = time.time(), []
    with tempfile.TemporaryDirectory(prefix="arm-cost-live-") as tmp:  # under /tmp: the guest sees /mnt/tmp
        work = Path(tmp)
        clip = work / "pages.mp4"
        render_clip(clip, args.camera_noise)
        paths = {m: bundle_int8(m, work, args.bundles) for m in models}
        jobs = [(c, m, paths[m], mode) for m in models for mode in modes for c in cpus]
        print(f"arm-cost: the live loop, {len(jobs)} sessions, two at a time", file=sys.stderr)
        with ThreadPoolExecutor(2) as pool:  # counts do not depend on the host's load
            futures = [pool.submit(count, *job, clip, work, args) for job in jobs]
            try:
                rows = [f.result() for f in futures]
            except RuntimeError as exc:
                print(f"arm-cost: {exc}", file=sys.stderr)
                return 1
    text = markdown(merge_rows(args.json, rows, started))
    args.markdown.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
