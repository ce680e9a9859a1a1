"""One `dae live` session: frames from a source through the pipeline to a window, a file and/or browsers.

Three stages overlap, each on its own thread and core: the capture (read and decode, paced for a
file watched in real time: live.capture), the processing (find, noise, denoise: this thread, which
also composes the view for the window, whose calls must stay on the main thread, and the recording)
and the encoding (the browser view's composing and JPEG: live.frame_hub; the recording: live.recorder).
Between them, bounded queues that never let a live source wait: the frame rate is the slowest stage's,
not the sum of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from dae_runtime.live import SERVE_FPS
from dae_runtime.live.capture import Capture, Frame
from dae_runtime.live.pipeline import LiveError, LivePipeline
from dae_runtime.live.status_log import Counters
from dae_runtime.sources.base import FrameSource, SourceError


@dataclass
class SessionOptions:
    window: bool = True  # an OpenCV window (checked beforehand with display.window_problem)
    out: str | None = None  # the composed video
    serve: tuple | None = None  # the browser view: (host, port) or serve.ServeAddress (host, port, token, no_token)
    max_frames: int | None = None
    serve_fps: float = SERVE_FPS  # the browser stream's cap; the pipeline itself runs as fast as frames come
    status_seconds: float | None = None  # a line of figures this often (status_log; without a terminal)
    # Real time (drop the oldest frame when a stage is behind, a file paced to its own frame rate) or as
    # fast as it can (every frame of a file, none dropped). None: real time unless nobody watches, i.e.
    # a file with neither a window nor --serve.
    realtime: bool | None = None

    def is_realtime(self, source: FrameSource) -> bool:
        if self.realtime is not None:
            return self.realtime
        return not source.recorded or self.window or bool(self.serve)


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
    progress, started = _Progress(), time.perf_counter()
    with ExitStack() as stack:
        source.open()
        stack.callback(source.release)
        pipeline.source_name = source.name
        recorder = _start_recording(stack, options.out, source.fps) if options.out else None
        server = None
        if options.serve:
            server = _start_server(stack, pipeline, source, options.serve, options.serve_fps, progress, echo)
        if options.status_seconds:
            stack.enter_context(_status_log(progress, server, echo, options.status_seconds))
        capture = stack.enter_context(Capture(source, options.is_realtime(source)))  # left first: stops reading
        try:
            while options.max_frames is None or progress.frames < options.max_frames:
                frame = capture.frames.get()
                if frame is None:
                    break
                if not _one_frame(pipeline, frame, progress, options.window, recorder, server):
                    break
        except KeyboardInterrupt:
            echo("Stopped.")
        capture.stop()
        if progress.frames == 0:
            if capture.error is not None:
                raise capture.error
            raise LiveError("no frame could be read from the source")  # and no empty --out file
        if options.window:
            import cv2

            cv2.destroyAllWindows()
    failure = capture.error
    if isinstance(failure, SourceError):  # a source that fails after frames came: --out keeps them
        kept = f" (the {progress.frames} frames before it are in {options.out})" if options.out else ""
        raise LiveError(f"{failure}{kept}")
    if failure is not None:
        raise failure
    return SessionSummary(progress.frames, max(progress.busy, 1e-9), time.perf_counter() - started)


def _one_frame(pipeline: LivePipeline, frame: Frame, progress: _Progress, window: bool, recorder, server) -> bool:
    """One frame through the pipeline to the outputs; False when the user pressed q."""
    if server is not None:
        for key in server.pending_keys():
            pipeline.handle_key(key)
    result = pipeline.process(frame.image)
    progress.busy += result.seconds
    progress.frames, progress.found = progress.frames + 1, len(result.boxes)
    if recorder is not None or window:
        result.view  # noqa: B018 (composed here, once, before the encoder thread could also want it)
    if recorder is not None:
        recorder.put(result.view)
    if server is not None:  # only the views the browser is sent get composed, on the encoder's thread
        server.publish(lambda: result.view, frame.captured_at, frame.pts)
    progress.totals = progress.totals.after_frame(len(result.boxes), time.perf_counter() - frame.captured_at)
    return not window or _show(pipeline, result.view)


def _start_recording(stack: ExitStack, out: str, fps: float):
    """--out: the recording (VideoOut, closed last) written by its own thread (Recorder, drained first)."""
    from dae_runtime.live.outputs import VideoOut
    from dae_runtime.live.recorder import Recorder

    video = stack.enter_context(VideoOut(out, fps or 30.0))
    return stack.enter_context(Recorder(video))


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
