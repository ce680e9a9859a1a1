"""Runs inside the emulated aarch64 root under the per-thread counting plugin (libinsn_threads.so): the real
`dae live` session (dae_runtime.live.session.run_session, its threads and queues) on a video file, with
the stages bracketed by marker system calls, so the host can split each frame's instructions by stage.

    python guest_live.py PLAN.json STAGES.json

PLAN.json: {"video", "model", "mode": "serve" | "out", "port", "out", "warmup", "frames", "serve_fps"}.
STAGES.json (written here): the marker tags of every bracketed call, by stage, in call order:
  {"stages": {"capture": [[start, end], ...], ...}, "window": [start, end], "mark_pairs": [[a, b], ...]}
Each stage's calls are bracketed by two marks on the thread that makes them; the plugin reports that
thread's own counter at each mark, so other threads running meanwhile are not counted in. The window
is marked around frames warmup .. warmup + frames - 1 of the processing stage (every thread's total).
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from pathlib import Path

from guest_count import mark

STAGES: dict[str, list[list[int]]] = {}
WINDOW: list[int] = []
DIGITS: list[int] = []  # digits found in each frame


def bracket(stage: str, fn):
    """fn, its calls marked: STAGES[stage] gets [start tag, end tag] per call."""
    calls = STAGES.setdefault(stage, [])

    @functools.wraps(fn)
    def marked(*args, **kwargs):
        start = mark()
        try:
            return fn(*args, **kwargs)
        finally:
            calls.append([start, mark()])

    return marked


def _session(plan: dict):
    """The pipeline, source and options `dae live` would build for this plan, one onnxruntime thread."""
    from dae_runtime.denoiser import Denoiser, SessionConfig
    from dae_runtime.live.pipeline import LiveConfig, LivePipeline
    from dae_runtime.live.session import SessionOptions
    from dae_runtime.sources import make_source

    denoiser = Denoiser(Path(plan["model"]), session=SessionConfig(threads=1, spinning=False))
    pipeline = LivePipeline(denoiser, LiveConfig())
    source = make_source("source", plan["video"])
    serve = ("127.0.0.1", plan["port"]) if plan["mode"] == "serve" else None
    out = plan["out"] if plan["mode"] == "out" else None
    # Every frame processed, none dropped (a Pi that keeps up with its camera); the browser view's rate is
    # capped on the file's own clock, so it does not depend on how fast the emulator runs.
    options = SessionOptions(window=False, serve=serve, out=out, max_frames=plan["warmup"] + plan["frames"],
                             realtime=False)  # fmt: skip
    if plan["serve_fps"] is not None:  # else dae live's default
        options.serve_fps = plan["serve_fps"]
    return pipeline, source, options


def _instrument(pipeline, source, plan: dict) -> None:
    """Bracket the stages; the first frame waits for the viewer; the window's marks around its frames."""

    from dae_runtime.live import frame_hub, outputs
    from dae_runtime.live import pipeline as live_pipeline

    source.read = bracket("capture", source.read)
    # The view is composed on first use, where it is used (the encoder's thread for the browser): "view" marks
    # the composing alone, not the later uses of the composed view.
    compose_view = bracket("view", live_pipeline.FrameResult.view.fget)
    live_pipeline.FrameResult.view = property(lambda r: compose_view(r) if r._view is None else r._view)
    pipeline.find = bracket("finder", pipeline.find)
    pipeline._noisy = bracket("noise", pipeline._noisy)
    pipeline.denoiser.denoise_batch = bracket("model", pipeline.denoiser.denoise_batch)
    if plan["mode"] == "serve":
        frame_hub.FrameHub._encode = bracket("encode", frame_hub.FrameHub._encode)  # the browser view's JPEG
    else:
        outputs.VideoOut.write = bracket("encode", outputs.VideoOut.write)  # JPEG + fragments + disk
    viewer = threading.Event()
    join = frame_hub.FrameHub.try_join

    def try_join(hub):
        joined = join(hub)
        viewer.set()
        return joined

    frame_hub.FrameHub.try_join = try_join
    process, count = bracket("process", pipeline.process), [0]
    first, last = plan["warmup"], plan["warmup"] + plan["frames"] - 1

    def process_frame(frame):
        if count[0] == 0 and plan["mode"] == "serve" and not viewer.wait(600):
            raise SystemExit("guest_live: no viewer came within 600 s")
        if count[0] == first:
            WINDOW.append(mark())
        result = process(frame)
        DIGITS.append(len(result.boxes))
        if count[0] == last:
            WINDOW.append(mark())
        count[0] += 1
        return result

    pipeline.process = process_frame


def main(plan_path: str, stages_path: str) -> int:
    import cv2

    from dae_runtime.live.session import run_session

    cv2.setNumThreads(1)  # OpenCV's own pool: one core each stage, as the plan counts them
    plan = json.loads(Path(plan_path).read_text())
    pipeline, source, options = _session(plan)
    _instrument(pipeline, source, plan)
    pairs = [[mark(), mark()] for _ in range(20)]  # what a mark itself costs, to take it out
    summary = run_session(pipeline, source, options, echo=lambda line: print(line, flush=True))
    stages = {"stages": STAGES, "window": WINDOW, "mark_pairs": pairs, "frames": summary.frames,
              "encode_by_index": plan["mode"] == "out", "digits": DIGITS, "serve_fps": options.serve_fps,
              "model_file": pipeline.denoiser.path.name}  # fmt: skip
    Path(stages_path).write_text(json.dumps(stages))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
