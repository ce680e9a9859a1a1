"""A video file played like a camera: frame i is handed on at start + i / fps of the wall clock.

A file watched in a window or a browser plays at its own frame rate, as a camera would give it;
without pacing a 10-second clip is over in about a second. Frame numbers keep counting when a file
loops, so the clock runs on across its end. A reader that falls more than MAX_LAG behind (a decoder
slower than the clip, a stall) starts the clock again from the frame it is at, rather than rushing
the frames it missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_LAG = 0.5  # seconds behind the clip's clock before it is started again from the current frame


@dataclass
class Pacer:
    fps: float
    clock: Callable[[], float] = time.monotonic
    start: float | None = None  # wall time of frame 0 (set by the first frame)

    def presentation(self, index: int) -> float:
        """Frame `index`'s time in the clip, in seconds."""
        return index / self.fps

    def delay(self, index: int) -> float:
        """Seconds until frame `index` is due (0 when it is due or late)."""
        now = self.clock()
        due = now if self.start is None else self.start + self.presentation(index)
        if now - due > MAX_LAG or self.start is None:
            self.start, due = now - self.presentation(index), now
        return max(0.0, due - now)
