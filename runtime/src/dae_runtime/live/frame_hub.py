"""The newest live view as JPEG, for any number of viewers, without ever holding up the camera loop.

The camera loop hands the newest view to one encoder thread, which encodes JPEG once per frame
(at most `max_fps`), and every viewer sends the latest bytes it has not sent yet; a slow viewer
therefore skips frames instead of holding anything up. At most MAX_VIEWERS stream at once.
"""

from __future__ import annotations

import threading
import time

import numpy as np

MAX_VIEWERS = 8


class FrameHub:
    """The newest JPEG and its number; viewers wait for a newer one."""

    def __init__(self, max_fps: float = 30.0, quality: int = 80):
        self.min_interval = 1.0 / max_fps if max_fps > 0 else 0.0
        self.quality = quality
        self.jpeg: bytes | None = None
        self.seq = 0
        self.latency = 0.0  # seconds from the frame's read to its JPEG ready to send, smoothed
        self.viewers = 0
        self.encoded = 0
        self.closed = False
        self._ready = threading.Condition()
        self._pending: tuple[np.ndarray, float] | None = None
        self._wake = threading.Event()
        self._slots = threading.Semaphore(MAX_VIEWERS)
        self._thread = threading.Thread(target=self._encode_loop, name="dae-live-encoder", daemon=True)
        self._thread.start()

    def publish(self, view: np.ndarray, captured_at: float) -> None:
        """Called by the camera loop: O(1), never blocks (a view not yet encoded is simply replaced)."""
        self._pending = (view, captured_at)
        self._wake.set()

    def _encode_loop(self) -> None:
        import cv2

        params = [cv2.IMWRITE_JPEG_QUALITY, self.quality]
        last = 0.0
        while not self.closed:
            if not self._wake.wait(0.5):
                continue
            wait = last + self.min_interval - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self._wake.clear()
            pending, self._pending = self._pending, None
            if pending is None or (self.viewers == 0 and self.jpeg is not None):
                continue  # nobody watches: keep the CPU for the pipeline (one frame is kept for a new viewer)
            view, captured_at = pending
            ok, buf = cv2.imencode(".jpg", view, params)  # releases the GIL: runs beside the camera loop
            last = time.perf_counter()
            if not ok:
                continue
            with self._ready:
                self.jpeg, self.seq, self.encoded = buf.tobytes(), self.seq + 1, self.encoded + 1
                latency = last - captured_at
                self.latency = latency if self.seq == 1 else 0.8 * self.latency + 0.2 * latency
                self._ready.notify_all()

    def newer_than(self, seq: int, timeout: float) -> tuple[bytes | None, int]:
        with self._ready:
            self._ready.wait_for(lambda: self.seq > seq or self.closed, timeout)
            return (self.jpeg, self.seq) if self.seq > seq else (None, seq)

    def try_join(self) -> bool:
        if not self._slots.acquire(blocking=False):
            return False
        with self._ready:
            self.viewers += 1
        return True

    def leave(self) -> None:
        with self._ready:
            self.viewers -= 1
        self._slots.release()

    def close(self) -> None:
        self.closed = True
        self._wake.set()
        with self._ready:
            self._ready.notify_all()
        self._thread.join(timeout=2)
