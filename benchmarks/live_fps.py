"""Frames per second of the live pipeline on 640x480 frames of paper digits.

Per frame: find the digits (as dae live does: the page's light kept while the picture is still,
dae_runtime.live.kept_light), warp them to MNIST form, add noise, denoise all crops in one
batch, compose the view (boxes, tiles, FPS text). Camera and display are left out: they
are the device's, not the pipeline's. Settings are measured side by side in one run.

    .venv/bin/python benchmarks/live_fps.py [--frames 300] [--digits 6,8,10] [--finder-ref main]

--finder-ref REF also runs every setting with extract_digits from digits.py as it was at git REF
(every frame read afresh) in place of the live finder, interleaved, to compare finders side by side.

Writes benchmarks/results/live_fps.json (live_fps_vs_REF.json with --finder-ref).
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

from dae_runtime.atomic import write_json
from dae_runtime.bench.timing import take_turns, warm_up
from dae_runtime.denoiser import Denoiser, SessionConfig
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.synthetic import paper_frame, synthetic_digits

SETTINGS: dict[str, dict[str, Any]] = {
    "fp32, 1 thread": dict(precision="fp32", session=SessionConfig(threads=1)),
    "fp32, 2 threads": dict(precision="fp32", session=SessionConfig(threads=2)),
    "int8, 1 thread": dict(precision="int8", session=SessionConfig(threads=1)),
    "int8, 2 threads": dict(precision="int8", session=SessionConfig(threads=2)),
}


def finder_at(ref: str):
    """extract_digits from digits.py as it was at git `ref`."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{ref}:runtime/src/dae_runtime/digits.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType(f"digits_at_{ref}")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, f"digits.py@{ref}", "exec"), module.__dict__)
    return module.extract_digits


def _frame_call(pipeline: LivePipeline, finder, frames: list, n_digits: int):
    """One frame through `pipeline` and its view composed (as for a window or a recording), the frames taken in
    turn; with `finder` (an extract_digits), that finder in place of the pipeline's own (dae live's kept light)."""
    order = itertools.count()
    if finder is not None:
        pipeline.find = lambda frame: finder(frame, pipeline.config.max_digits)

    def call() -> None:
        result = pipeline.process(frames[next(order) % len(frames)])
        found = len(result.boxes) if result.view is not None else 0
        if found != n_digits:
            raise SystemExit(f"found {found} digits instead of {n_digits}: the benchmark frame is wrong")

    return call


def measure(n_digits: int, frames_per_setting: int, rounds: int, finders: dict) -> list[dict]:
    digits = synthetic_digits(n_digits, seed=5)
    frames = [paper_frame(digits, shift=(i % 4, (3 * i) % 7)) for i in range(16)]
    settings = {f"{name}{label}": (kw, finder) for name, kw in SETTINGS.items() for label, finder in finders.items()}
    calls = {
        name: _frame_call(LivePipeline(Denoiser(**kw), LiveConfig(add_noise=0.3)), finder, frames, n_digits)
        for name, (kw, finder) in settings.items()
    }
    for call in calls.values():
        warm_up(call, 10)
    per_round = frames_per_setting // rounds
    samples = take_turns(calls, rounds, per_round)  # interleaved, so machine noise hits each setting alike
    n = per_round * rounds
    return [
        {
            "digits": n_digits,
            "setting": name,
            "fps": round(n / samples[name].total_s, 1),
            "ms_per_frame": round(1e3 * samples[name].total_s / n, 3),
            # CPU time of this thread only: on a shared machine, steadier than the wall clock (1-thread settings)
            "cpu_ms_per_frame": round(1e3 * samples[name].cpu_s / n, 3),
        }
        for name in settings
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300, help="frames per setting and digit count")
    parser.add_argument("--digits", default="6,8,10", help="digits per frame, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--settings", default=";".join(SETTINGS), help="which settings, separated by ;")
    parser.add_argument("--finder-ref", default=None, help="also time digits.py from this git ref, interleaved")
    args = parser.parse_args()
    for name in list(SETTINGS):
        if name not in args.settings.split(";"):
            del SETTINGS[name]
    finders: dict[str, Any] = {"": None}
    if args.finder_ref:
        finders[f", finder@{args.finder_ref}"] = finder_at(args.finder_ref)
    rows = [row for n in map(int, args.digits.split(",")) for row in measure(n, args.frames, args.rounds, finders)]
    print("640x480 frames of paper digits; FPS of find + warp + noise + one batched denoise + compose")
    print("| digits | setting | FPS | ms per frame | thread CPU ms per frame |\n|---:|---|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['digits']} | {r['setting']} | {r['fps']:.0f} | {r['ms_per_frame']:.2f} "
            f"| {r['cpu_ms_per_frame']:.2f} |"
        )
    name = f"live_fps_vs_{args.finder_ref.replace('/', '_')}.json" if args.finder_ref else "live_fps.json"
    out = Path(__file__).parent / "results" / name
    out.parent.mkdir(exist_ok=True)
    write_json(out, {"date": time.strftime("%Y-%m-%d"), "frame": [480, 640], "rows": rows})


if __name__ == "__main__":
    main()
