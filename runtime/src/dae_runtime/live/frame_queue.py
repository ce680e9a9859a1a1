"""The bounded queue between two stages of the live loop (capture -> processing, processing -> recording).

A live source (a camera, a stream, a file played at its own rate) must never wait for a slower stage:
when the queue is full, `put` drops the oldest frame, so the next stage always gets the newest one and
the frame rate is set by the slowest stage, not by the sum of the stages. A file run as fast as it can
(`dae live --headless --out` with no viewer) loses no frame instead: `put` waits for room.

Both sides wait on a Condition, without a timeout: a waiting thread costs nothing until it is woken
(no polling loop, whose cost grows with wall time). The main thread's `get` still ends on Ctrl-C:
a lock wait is interrupted by signals on POSIX.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class FrameQueue(Generic[T]):
    def __init__(self, size: int = 1, drop_oldest: bool = True):
        if size < 1:
            raise ValueError(f"a frame queue holds at least one frame, not {size}")
        self.size, self.drop_oldest = size, drop_oldest
        self.dropped = 0  # frames put but never got: the next stage was busy
        self.closed = False
        self._items: deque[T] = deque()
        self._changed = threading.Condition()

    def put(self, item: T) -> bool:
        """Queue `item`; False (and nothing queued) once the queue is closed."""
        with self._changed:
            if not self.drop_oldest:
                self._changed.wait_for(lambda: len(self._items) < self.size or self.closed)
            if self.closed:
                return False
            if len(self._items) >= self.size:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._changed.notify_all()
            return True

    def get(self) -> T | None:
        """The oldest queued item, waiting for one; None once the queue is closed and empty."""
        with self._changed:
            self._changed.wait_for(lambda: self._items or self.closed)
            if not self._items:
                return None
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def close(self) -> None:
        """No more items: `get` returns what is left, then None; waiting `put`s return False."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def clear(self) -> None:
        """Forget what is queued (a stage that stops without taking the rest)."""
        with self._changed:
            self._items.clear()
            self._changed.notify_all()
