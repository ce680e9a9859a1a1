"""What the live loop's threads buy on x86: wall-clock FPS of the real `dae live --headless --out` session
(dae_runtime.live.session.run_session: capture, processing and encoding on their own threads, issue 24)
against the same stages run one after the other in one thread, side by side in one run.

    .venv/bin/python benchmarks/live_threads.py [--rounds 5] [--model models/seed/export/model.int8.onnx]

Both read the same clip (benchmarks/arm_cost/live_clip.py: 640x480 pages of 10 handwritten digits, mp4,
200 frames by default), find, denoise (int8, one onnxruntime thread) and compose every frame, and record
every view to mp4 (--out: JPEG-encoded fragments), none dropped. They take turns, `--rounds` times each
(interleaved, so the machine's other load hits both alike); FPS is frames / wall seconds of a whole run,
the clip opened and the recording closed included; the gain is the median over the rounds of threads /
one thread. The CPU is named from /proc/cpuinfo. A benchmark, never a test.

Writes benchmarks/results/live_threads.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dae_runtime.atomic import write_json
from dae_runtime.denoiser import Denoiser, SessionConfig
from dae_runtime.live.outputs import VideoOut
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.live.session import SessionOptions, run_session
from dae_runtime.sources import make_source

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "arm_cost"))
from live_clip import render_clip  # noqa: E402


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _shown(path: Path) -> str:
    """`path` relative to the repository when it is inside it."""
    full = path.resolve()
    return str(full.relative_to(HERE.parent)) if full.is_relative_to(HERE.parent) else str(path)


def threaded(pipeline: LivePipeline, clip: Path, out: Path) -> int:
    """The session as `dae live --source clip --headless --out` runs it: every frame, as fast as it can."""
    source = make_source("source", str(clip))
    return run_session(pipeline, source, SessionOptions(window=False, out=str(out)), echo=lambda _: None).frames


def one_thread(pipeline: LivePipeline, clip: Path, out: Path) -> int:
    """The same stages one after the other in this thread: read and decode, process, encode and write."""
    source = make_source("source", str(clip))
    source.open()
    frames = 0
    try:
        with VideoOut(str(out), source.fps or 30.0) as video:
            while (image := source.read()) is not None:
                video.write(pipeline.process(image).view)
                frames += 1
    finally:
        source.release()
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, taking turns")
    parser.add_argument("--pages", type=int, default=40, help="pages of the clip, 5 frames each")
    parser.add_argument("--model", type=Path, default=HERE.parent / "models/seed/export/model.int8.onnx")
    parser.add_argument("--json", type=Path, default=HERE / "results/live_threads.json")
    args = parser.parse_args(argv)
    denoiser = Denoiser(args.model, session=SessionConfig(threads=1))
    runs = {"threads": threaded, "one thread": one_thread}
    fps: dict[str, list[float]] = {name: [] for name in runs}
    # CPU seconds of this process per wall second: near 1 for the threads means no second core was free.
    cores: dict[str, list[float]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory(prefix="live-threads-") as tmp:
        clip = Path(tmp) / "pages.mp4"
        render_clip(clip, 0.01, args.pages)
        for run in runs.values():  # warm-up: onnxruntime's first calls, OpenCV's codecs
            run(LivePipeline(denoiser, LiveConfig()), clip, Path(tmp) / "warm.mp4")
        for _ in range(args.rounds):
            for name, run in runs.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                frames = run(LivePipeline(denoiser, LiveConfig()), clip, Path(tmp) / f"{name}.mp4")
                wall = time.perf_counter() - started
                fps[name].append(frames / wall)
                cores[name].append((time.process_time() - cpu_started) / wall)
    median = {name: statistics.median(v) for name, v in fps.items()}
    # Per round, the two runs back to back: the ratio least moved by other work on the machine.
    ratios = [a / b for a, b in zip(fps["threads"], fps["one thread"], strict=True)]
    ratio = statistics.median(ratios)
    cpu, n_cores = cpu_name(), os.cpu_count()
    print(f"{cpu}, {n_cores} cores; `dae live --headless --out` on 640x480 pages of 10 digits, seed int8, 1 ORT thread")
    print("| loop | FPS (median) | cores busy (median) | FPS of each run |\n|---|---:|---:|---|")
    for name, values in fps.items():
        busy = statistics.median(cores[name])
        print(f"| {name} | {median[name]:.1f} | {busy:.2f} | {', '.join(f'{v:.0f}' for v in values)} |")
    print(f"threads / one thread, median of the rounds' ratios: {ratio:.2f}x ({min(ratios):.2f} to {max(ratios):.2f})")
    record = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cpu": cpu,
        "cores": n_cores,
        "model": _shown(args.model),
        "fps": {name: [round(v, 2) for v in values] for name, values in fps.items()},
        "median_fps": {name: round(v, 2) for name, v in median.items()},
        "cores_busy": {name: [round(v, 2) for v in values] for name, values in cores.items()},
        "ratios": [round(r, 3) for r in ratios],
        "ratio": round(ratio, 3),
    }
    write_json(args.json, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
