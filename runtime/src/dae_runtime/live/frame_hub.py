"""The newest live view as JPEG, for any number of viewers, without ever holding up the camera loop.

The camera loop hands each view over (`publish`: O(1), it only replaces the one not yet encoded). One
encoder thread encodes a view only when a viewer is waiting for a newer picture than the last one, and
at most `max_fps` of the frames' own time (a file's clock, a camera's capture time): frames that no
viewer would get are never composed or encoded, and with nobody watching nothing is. A new viewer gets the newest
view at once. Every viewer sends the latest bytes it has not sent yet, so a slow one skips frames
instead of holding anything up. All waits block on one Condition (no polling). At most MAX_VIEWERS
stream at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from dae_runtime.jpeg import jpeg_encoder

MAX_VIEWERS = 8
View = np.ndarray | Callable[[], np.ndarray]
EARLY = 1e-3  # seconds: a frame this much before its turn at max_fps still counts as on time


class FrameHub:
    """The newest JPEG and its number; viewers wait for a newer one."""

    def __init__(self, max_fps: float = 30.0, quality: int = 80):
        self.min_interval = 1.0 / max_fps if max_fps > 0 else 0.0
        self.quality = quality
        self._encoder = jpeg_encoder(quality)
        self.jpeg: bytes | None = None
        self.seq = 0
        self.latency = 0.0  # seconds from the frame's read to its JPEG ready to send, smoothed
        self.viewers = 0
        self.encoded = 0
        self.skipped = 0  # views a waiting viewer was not given: too soon after the last at max_fps
        self.closed = False
        self.error: BaseException | None = None  # what stopped the encoder, raised again by publish
        self._changed = threading.Condition()
        self._pending: tuple[View, float, float] | None = None  # view, captured_at, pts
        self._waiting = 0  # viewers waiting for a picture newer than self.seq
        self._last_pts: float | None = None
        self._slots = threading.Semaphore(MAX_VIEWERS)
        self._thread = threading.Thread(target=self._encode_loop, name="dae-live-encoder", daemon=True)
        self._thread.start()

    def publish(self, view: View, captured_at: float, pts: float | None = None) -> None:
        """Called by the camera loop; never waits for the encoder. `view`: the image, or what makes it (called
        on the encoder's thread, for the views it encodes only). `pts`: the frame's time (default: now).
        Raises what made the encoder stop, if it did (a view that could not be composed)."""
        if self.error is not None:
            raise self.error
        with self._changed:
            self._pending = (view, captured_at, time.perf_counter() if pts is None else pts)
            if self._waiting:
                self._changed.notify_all()

    def _due(self, pts: float) -> bool:
        """Whether a frame at `pts` may be encoded: max_fps of the frames' own time (a clock that went
        back, such as a stream that came back, starts the count again)."""
        last = self._last_pts
        return last is None or pts < last or pts - last >= self.min_interval - EARLY

    def _next_view(self) -> tuple[View, float] | None:
        """Wait until a viewer wants the pending view and it is due; None once closed."""
        with self._changed:
            while True:
                self._changed.wait_for(lambda: self.closed or (self._waiting > 0 and self._pending is not None))
                if self.closed:
                    return None
                assert self._pending is not None
                view, captured_at, pts = self._pending
                self._pending = None
                if self.jpeg is None or self._due(pts):
                    self._last_pts = pts
                    return view, captured_at
                self.skipped += 1  # no viewer gets it at max_fps: not encoded

    def _encode(self, view: np.ndarray) -> bytes | None:
        return self._encoder(view)  # releases the GIL: runs beside the camera loop

    def _encode_loop(self) -> None:
        try:
            self._encode_views()
        except BaseException as exc:  # noqa: BLE001 - raised again in the session's thread; viewers let go
            self.error = exc
            self.close(join=False)

    def _encode_views(self) -> None:
        while (next_view := self._next_view()) is not None:
            view, captured_at = next_view
            jpeg = self._encode(view() if callable(view) else view)
            if jpeg is None:
                continue
            done = time.perf_counter()
            with self._changed:
                self.jpeg, self.seq, self.encoded = jpeg, self.seq + 1, self.encoded + 1
                latency = done - captured_at
                self.latency = latency if self.seq == 1 else 0.8 * self.latency + 0.2 * latency
                self._changed.notify_all()

    def newer_than(self, seq: int) -> tuple[bytes | None, int]:
        """The newest JPEG once it is newer than `seq` (waiting for it); (None, seq) once closed."""
        with self._changed:
            if self.seq <= seq:
                self._waiting += 1
                self._changed.notify_all()  # the encoder may have a view waiting for a viewer
                try:
                    self._changed.wait_for(lambda: self.seq > seq or self.closed)
                finally:
                    self._waiting -= 1
            return (self.jpeg, self.seq) if self.seq > seq else (None, seq)

    def try_join(self) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        with self._changed:
            self.viewers += 1
        return True

    def leave(self) -> None:
        with self._changed:
            self.viewers -= 1
        self._slots.release()

    def close(self, join: bool = True) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        if join:
            self._thread.join(timeout=2)
