"""Instructions per 640x480 frame of the digit finder on this machine's CPU, counted by valgrind (callgrind).

On a shared machine wall-clock figures swing by tens of percent; an instruction count does not
depend on the load. Each setting runs in its own process under callgrind, which counts only what
runs inside one call that feeds the frames to the finder (--toggle-collect on itertools.starmap's
C function): the finder's work and the Python calls around it, no imports, no scene drawing.
OpenCV runs on one thread (cv2.setNumThreads(1)), as on the one Pi core the live loop has.

    .venv/bin/python benchmarks/finder_cost.py [--frames 12] [--finder-ref main]

Settings: `boxes` (find_digit_boxes: the boxes `dae live` draws; for a ref without it, the boxes of
its extract_digits) and `extract` (extract_digits: boxes and the MNIST crops the model gets), for
this tree and, with --finder-ref, digits.py at that git ref. Frames: scenes of 12 validation
digits (dae_runtime.scenes) under several conditions. Writes benchmarks/results/finder_cost.json.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SCENES = [("plain", 0.0), ("plain", 0.1), ("hard shadow", 0.1), ("pencil", 0.1), ("dim", 0.2), ("ruled", 0.1)]


def render(path: Path, n: int) -> None:
    import cv2

    from dae_runtime.scenes import condition, render_scene
    from dae_train.data import load_mnist

    digits = load_mnist("builtin").validation.images
    frames = [render_scene(digits, condition(*SCENES[i % len(SCENES)]), seed=900_000 + i)[0] for i in range(n)]
    np.save(path, np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]))


def finder(setting: str, ref: str | None):
    if ref:
        from live_fps import finder_at  # benchmarks/ is on sys.path when a script in it runs

        extract = finder_at(ref)
        if setting == "boxes":
            return lambda gray: [c.box for c in extract(gray, max_digits=64)[1]]
        return lambda gray: extract(gray, max_digits=64)
    from dae_runtime.digits import extract_digits, find_digit_boxes

    return find_digit_boxes if setting == "boxes" else extract_digits


def inner(setting: str, ref: str | None, frames_path: str) -> None:
    """The measured process: only the starmap call below is counted."""
    import cv2

    cv2.setNumThreads(1)
    frames = list(np.load(frames_path))
    run = finder(setting, ref)
    run(frames[0])  # first-call setup (lazy imports, caches) belongs to no frame
    collections.deque(itertools.starmap(run, ((f,) for f in frames)), maxlen=0)


def count(setting: str, ref: str | None, frames_path: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--collect-atstart=no"]
        cmd += ["--toggle-collect=starmap_next", sys.executable, __file__, "--inner", setting, str(frames_path)]
        cmd += ["--finder-ref", ref] if ref else []
        env = dict(os.environ, PYTHONHASHSEED="0")
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        match = re.search(r"^(?:summary|totals): (\d+)", out.read_text(errors="replace"), re.MULTILINE)
        if not match:
            raise SystemExit(f"no instruction count in {out}")
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--finder-ref", default=None)
    parser.add_argument("--inner", nargs=2, metavar=("SETTING", "FRAMES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args.inner[0], args.finder_ref, args.inner[1])
        return
    from dae_runtime.atomic import write_json

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        frames_path = Path(tmp) / "frames.npy"
        render(frames_path, args.frames)
        for setting in ("boxes", "extract"):
            for ref in ([args.finder_ref] if args.finder_ref else []) + [None]:
                per_frame, name = count(setting, ref, frames_path) / args.frames, ref or "this tree"
                rows.append({"setting": setting, "finder": name, "instructions_per_frame": round(per_frame)})
                print(f"{setting:8s} {name:10s} {per_frame / 1e6:6.2f} M instructions per frame", flush=True)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    data = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu, "frames": args.frames, "scenes": SCENES, "rows": rows}
    write_json(Path(__file__).parent / "results" / "finder_cost.json", data)


if __name__ == "__main__":
    main()
