"""The one interface every frame source has: open, read a frame, release, a name for the overlay."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


class SourceError(Exception):
    """A camera or stream that cannot be used; the message is for the user as is."""


@dataclass
class CaptureSettings:
    """What the user asked of a camera; a source uses what its device supports."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    reconnect_seconds: float = 60.0  # a dropped network stream is retried this long before the session ends
    loop: bool = False  # a video file starts again at its end (`dae live --loop`)


class FrameSource(ABC):
    """A camera, a video file or a stream. `read` returns BGR uint8 (h, w, 3) or None at the end."""

    name: str = "source"  # shown in the live view's overlay
    fps: float = 0.0  # the nominal rate once open (0: unknown), used to time a written video
    recorded: bool = False  # a video file: it has its own timeline and could be read faster than it plays

    @abstractmethod
    def open(self) -> None:
        """Start capturing; raises SourceError with one line for the user."""

    @abstractmethod
    def read(self) -> np.ndarray | None:
        """The next frame, or None when the source has ended."""

    @abstractmethod
    def release(self) -> None:
        """Stop and free the device; safe to call twice."""

    def interrupt(self) -> None:
        """Called from another thread when the session ends: a `read` that is waiting on purpose (a stream
        reconnecting) returns None soon. `release` still comes after `read` has returned."""
        return None  # a camera's read ends by itself within its own timeout

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def quiet_opencv() -> None:
    """OpenCV's and FFmpeg's own warnings would bury the one-line errors of the sources."""
    import os

    # Read once, when OpenCV first starts FFmpeg: -8 is AV_LOG_QUIET ("Connection refused" etc. stay quiet).
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
