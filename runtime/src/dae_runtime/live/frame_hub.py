"""The newest live view as JPEG, for any number of viewers, without ever holding up the camera loop.

The camera loop hands each view over (`publish`: O(1), it only replaces the one not yet encoded). One
encoder thread encodes a view only when a viewer is waiting for a newer picture than the last one, and
at most `max_fps` of the frames' own time (a file's clock, a camera's capture time): frames that no
viewer would get are never composed or encoded, and with nobody watching nothing is. A new viewer gets the newest
view at once. Every viewer sends the latest bytes it has not sent yet, so a slow one skips frames
instead of holding anything up. All waits block (no polling), on two Conditions of one lock: the encoder's,
woken by a frame due at max_fps or a viewer starting to wait, and the viewers', woken by a new picture, so a
camera frame that no viewer will get wakes nobody. At most MAX_VIEWERS stream at once.
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
        self.skipped = 0  # views not encoded because they came too soon after the last one at max_fps
        self.closed = False
        self.error: BaseException | None = None  # what stopped the encoder, raised again by publish
        self._lock = threading.Lock()
        self._work = threading.Condition(self._lock)  # the encoder waits here: a due view, a viewer, closing
        self._news = threading.Condition(self._lock)  # the viewers wait here: a new picture, closing
        self._pending: tuple[View, float, float] | None = None  # view, captured_at, pts
        self._waiting = 0  # viewers waiting for a picture newer than self.seq
        self._last_pts: float | None = None
        self._next_pts = 0.0  # when the next view is due: on a schedule of max_fps, not 1 / max_fps after the last
        self._slots = threading.Semaphore(MAX_VIEWERS)
        self._thread = threading.Thread(target=self._encode_loop, name="dae-live-encoder", daemon=True)
        self._thread.start()

    def publish(self, view: View, captured_at: float, pts: float | None = None) -> None:
        """Called by the camera loop; never waits for the encoder. `view`: the image, or what makes it (called
        on the encoder's thread, for the views it encodes only). `pts`: the frame's time (default: now).
        Raises what made the encoder stop, if it did (a view that could not be composed)."""
        if self.error is not None:
            raise self.error
        pts = time.perf_counter() if pts is None else pts
        with self._lock:
            if self.jpeg is not None and not self._due(pts):
                self.skipped += 1  # too soon after the last one: no viewer gets it, and nothing is woken
                return
            self._pending = (view, captured_at, pts)
            if self._waiting:
                self._work.notify()

    def _due(self, pts: float) -> bool:
        """Whether a frame at `pts` may be encoded: max_fps of the frames' own time, on a schedule, so that a cap
        between two of the camera's rates is met on average (12 of a 30 FPS camera's frames a second, every 2nd
        or 3rd, not every 3rd) and a camera's jitter does not halve it. A clock that went back, such as a stream
        that came back, starts the count again."""
        last = self._last_pts
        return last is None or pts < last or pts >= self._next_pts - EARLY

    def _taken(self, pts: float) -> None:
        """The view at `pts` is encoded: the next is due an interval later on the schedule, or after `pts` when
        the schedule fell behind (nobody watched for a while: no burst of views to catch up)."""
        on_time = self._last_pts is not None and self._last_pts <= pts < self._next_pts + self.min_interval
        self._next_pts = (self._next_pts if on_time else pts) + self.min_interval
        self._last_pts = pts

    def _next_view(self) -> tuple[View, float] | None:
        """Wait until a viewer wants the pending view and it is due; None once closed."""
        with self._lock:
            while True:
                self._work.wait_for(lambda: self.closed or (self._waiting > 0 and self._pending is not None))
                if self.closed:
                    return None
                assert self._pending is not None
                view, captured_at, pts = self._pending
                self._pending = None
                if self.jpeg is None or self._due(pts):
                    self._taken(pts)
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
            with self._lock:
                self.jpeg, self.seq, self.encoded = jpeg, self.seq + 1, self.encoded + 1
                latency = done - captured_at
                self.latency = latency if self.seq == 1 else 0.8 * self.latency + 0.2 * latency
                self._news.notify_all()

    def newer_than(self, seq: int) -> tuple[bytes | None, int]:
        """The newest JPEG once it is newer than `seq` (waiting for it); (None, seq) once closed."""
        with self._lock:
            if self.seq <= seq:
                self._waiting += 1
                self._work.notify()  # the encoder may have a view waiting for a viewer
                try:
                    self._news.wait_for(lambda: self.seq > seq or self.closed)
                finally:
                    self._waiting -= 1
            return (self.jpeg, self.seq) if self.seq > seq else (None, seq)

    def try_join(self) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self.viewers += 1
        return True

    def leave(self) -> None:
        with self._lock:
            self.viewers -= 1
        self._slots.release()

    def close(self, join: bool = True) -> None:
        with self._lock:
            self.closed = True
            self._work.notify_all()
            self._news.notify_all()
        if join:
            self._thread.join(timeout=2)
