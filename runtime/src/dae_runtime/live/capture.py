"""The live loop's first stage: the source read (and decoded) in its own thread, `dae-live-capture`.

Frames go into a FrameQueue for the processing stage. In real time (a camera, a stream, a file that
someone watches) the queue keeps only the newest frame, so a slower stage never holds the camera
up, and a file is paced to its own frame rate (dae_runtime.live.pacing). A file run as fast as it
can (`--headless --out`, nobody watching) is read as fast as the next stage takes its frames, none
dropped. The thread's error (a source that fails) is kept for the session to raise in its own thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dae_runtime.live.frame_queue import FrameQueue
from dae_runtime.live.pacing import Pacer
from dae_runtime.sources.base import FrameSource


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    index: int  # frames read from the source before this one
    pts: float  # seconds: its time in a file (index / fps, on across loops), a live source's capture time
    captured_at: float  # time.perf_counter() when it was handed on (the latency's start)


class Capture:
    def __init__(self, source: FrameSource, realtime: bool, clock: Callable[[], float] = time.monotonic):
        self.source, self.clock = source, clock
        # Real time: the newest frame only. Else two, so that reading the next overlaps processing this one.
        self.frames: FrameQueue[Frame] = FrameQueue(1 if realtime else 2, drop_oldest=realtime)
        self.pacer = Pacer(source.fps or 30.0, clock) if source.recorded else None  # a file's clock
        self.paced = realtime and self.pacer is not None
        self.error: BaseException | None = None  # what ended the reading, other than the source's end
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dae-live-capture", daemon=True)

    def __enter__(self) -> Capture:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """End the reading and wait for the thread: the source may be released once this returns."""
        self._stop.set()
        self.source.interrupt()
        self.frames.close()
        while self._thread.is_alive():
            try:
                self._thread.join()  # at most one read: a camera's own timeout bounds it
            except KeyboardInterrupt:  # a second Ctrl-C: the source must not be released under a read
                continue

    def _run(self) -> None:
        index, pacer = 0, self.pacer if self.paced else None
        try:
            while not self._stop.is_set():
                image = self.source.read()
                if image is None:
                    break
                pts = self.pacer.presentation(index) if self.pacer else self.clock()
                if pacer is not None and (wait := pacer.delay(index)) > 0 and self._stop.wait(wait):
                    break
                if not self.frames.put(Frame(image, index, pts, time.perf_counter())):
                    break
                index += 1
        except BaseException as exc:  # noqa: BLE001 - raised again by the session, in its own thread
            self.error = exc
        finally:
            self.frames.close()
