"""One `dae live` session: frames from a source through the pipeline to a window, a file and/or browsers."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from dae_runtime.live.pipeline import LiveError, LivePipeline
from dae_runtime.live.status_log import Counters
from dae_runtime.sources.base import FrameSource, SourceError


@dataclass
class SessionOptions:
    window: bool = True  # an OpenCV window (checked beforehand with display.window_problem)
    out: str | None = None  # the composed video
    serve: tuple | None = None  # the browser view: (host, port) or serve.ServeAddress (host, port, token, no_token)
    max_frames: int | None = None
    serve_fps: float = 30.0  # the browser stream's cap; the pipeline itself runs as fast as frames come
    status_seconds: float | None = None  # a line of figures this often (status_log; without a terminal)


@dataclass
class SessionSummary:
    frames: int
    busy_seconds: float  # frame processing only
    wall_seconds: float

    @property
    def pipeline_fps(self) -> float:
        return self.frames / max(self.busy_seconds, 1e-9)


@dataclass
class _Progress:
    frames: int = 0
    found: int = 0  # digits in the last frame
    busy: float = 0.0  # seconds of frame processing
    totals: Counters = Counters()  # frames, digits and read-to-output seconds, summed (status_log)


def run_session(
    pipeline: LivePipeline,
    source: FrameSource,
    options: SessionOptions,
    echo: Callable[[str], None] = print,
) -> SessionSummary:
    """Process frames until the source ends, max_frames, q in the window, or Ctrl-C."""
    from dae_runtime.live.outputs import VideoOut

    progress, started = _Progress(), time.perf_counter()
    failure: SourceError | None = None  # a source that fails after frames came: --out keeps them
    with ExitStack() as stack:
        source.open()
        stack.callback(source.release)
        pipeline.source_name = source.name
        video = stack.enter_context(VideoOut(options.out, source.fps or 30.0)) if options.out else None
        server = None
        if options.serve:
            server = _start_server(stack, pipeline, source, options.serve, options.serve_fps, progress, echo)
        if options.status_seconds:
            stack.enter_context(_status_log(progress, server, echo, options.status_seconds))
        try:
            while options.max_frames is None or progress.frames < options.max_frames:
                try:
                    frame = source.read()
                except SourceError as exc:
                    if progress.frames == 0:
                        raise
                    failure = exc
                    break
                if frame is None:
                    break
                captured_at = time.perf_counter()
                if server is not None:
                    for key in server.pending_keys():
                        pipeline.handle_key(key)
                result = pipeline.process(frame)
                progress.busy += result.seconds
                progress.frames, progress.found = progress.frames + 1, len(result.boxes)
                if video is not None:
                    video.write(result.view)
                if server is not None:
                    server.publish(result.view, captured_at)
                progress.totals = progress.totals.after_frame(len(result.boxes), time.perf_counter() - captured_at)
                if options.window and not _show(pipeline, result.view):
                    break
        except KeyboardInterrupt:
            echo("Stopped.")
        if progress.frames == 0:
            raise LiveError("no frame could be read from the source")  # and no empty --out file
        if options.window:
            import cv2

            cv2.destroyAllWindows()
    if failure is not None:
        kept = f" (the {progress.frames} frames before it are in {options.out})" if options.out else ""
        raise LiveError(f"{failure}{kept}")
    return SessionSummary(progress.frames, max(progress.busy, 1e-9), time.perf_counter() - started)


def _status_log(progress: _Progress, server, echo: Callable[[str], None], seconds: float):
    from dataclasses import replace

    from dae_runtime.live.status_log import StatusLog

    return StatusLog(lambda: replace(progress.totals, viewers=server.hub.viewers if server else 0), echo, seconds)


def _start_server(
    stack: ExitStack,
    pipeline: LivePipeline,
    source: FrameSource,
    address: tuple[str, int],
    max_fps: float,
    progress: _Progress,
    echo: Callable[[str], None],
):
    """The browser view (`--serve`), closed with the session; a port that cannot be bound is a LiveError."""
    from dae_runtime.live.serve import LiveServer

    def figures() -> dict:
        return {
            "source": source.name,
            "frames": progress.frames,
            "pipeline_fps": round(pipeline.fps, 1),
            "digits": progress.found,
            "noise": round(pipeline.config.add_noise, 2),
            "mode": "full frame" if pipeline.config.full_frame else "digits",
            "model": pipeline.denoiser.path.name,
            "precision": pipeline.denoiser.precision,
        }

    try:
        server = stack.enter_context(LiveServer(*address, stats=figures, max_fps=max_fps))
    except OSError as exc:
        raise LiveError(str(exc)) from None
    echo(f"Serving the live view on {server.url}  (Ctrl-C stops)")
    return server


def _show(pipeline: LivePipeline, view) -> bool:
    """Show the view; False when the user pressed q."""
    import cv2

    try:
        cv2.imshow("dae live", view)
        key = cv2.waitKey(1) & 0xFF
    except cv2.error as exc:
        raise LiveError("cannot open a window (no display?): use --headless --out FILE or --serve PORT") from exc
    return key == 0xFF or pipeline.handle_key(key)
