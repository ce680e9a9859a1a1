"""Write a video so that a full disk or a failing encoder never replaces a good one.

OpenCV's VideoWriter does not report failed writes: on a full disk `write()` and `release()`
succeed and leave a file with no readable frame. So the video is written aside, then opened
again and its frames counted; only a file holding every frame is renamed onto the target.

OpenCV's FFmpeg writer also drops the last column/row of a frame of odd width or height, whatever
the codec: such videos are written as Motion-JPEG in MP4 (fmp4.JpegTrack) at their exact size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dae_runtime.atomic import commit, release, temp_beside
from dae_runtime.cv_paths import opencv_path

LOW_SPACE_BYTES = 4096  # below this the encoder cannot go on: stop early instead of encoding for nothing


class VideoWriteError(Exception):
    """The video could not be written whole; the target keeps its earlier content. One line for the user."""


def quiet_video_logs() -> None:
    """Keep OpenCV's and FFmpeg's own warnings (hundreds of lines on a full disk) off the terminal:
    the caller reports the failure in one line. The environment variables must be set before cv2
    first opens a video; setdefault keeps a user's own choice."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    import cv2

    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:  # a build without the logging module
        pass


def free_bytes(folder: str | os.PathLike) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


class _Sink:
    def __init__(self, tmp: Path, target: Path, fps: float, fourcc: str):
        self.tmp, self.target, self.fps, self.fourcc = tmp, target, fps, fourcc
        self.writer: Any = None  # cv2.VideoWriter or, for odd sizes, a JpegTrack; opened on the first frame
        self.fd: int | None = None  # the JpegTrack's file
        self.frames = 0

    def write(self, frame) -> None:
        if self.writer is None:
            self._open(frame)
        try:
            self.writer.write(frame)
        except OSError as exc:  # only the JpegTrack says so; OpenCV's writer is silent
            raise VideoWriteError(self._failed(exc.strerror or str(exc))) from None
        self.frames += 1
        if self.frames % 16 == 0 and free_bytes(self.tmp.parent) < LOW_SPACE_BYTES:
            raise VideoWriteError(self._failed("the disk is full"))

    def _open(self, frame) -> None:
        import cv2

        from dae_runtime.fmp4 import JpegTrack

        h, w = frame.shape[:2]
        if h % 2 or w % 2:
            self.fd = os.open(self.tmp, os.O_WRONLY | os.O_TRUNC)
            self.writer = JpegTrack(self.fd, self.fps)
            return
        with opencv_path(self.tmp, write=True) as name:
            self.writer = cv2.VideoWriter(name, cv2.VideoWriter.fourcc(*self.fourcc), self.fps, (w, h), frame.ndim == 3)
        if not self.writer.isOpened():
            if free_bytes(self.tmp.parent) < LOW_SPACE_BYTES:  # FFmpeg cannot even write the header
                raise VideoWriteError(self._failed("the disk is full"))
            raise VideoWriteError(f"OpenCV cannot write the video {self.target} (use a .mp4 name)")

    def release(self, finish: bool = True) -> None:
        """Close the writer; `finish` writes what it still holds (else it is dropped: a failed video)."""
        writer, fd, self.writer, self.fd = self.writer, self.fd, None, None
        if fd is None:
            if writer is not None:
                writer.release()
            return
        try:
            if finish:
                writer.flush()
        except OSError as exc:
            raise VideoWriteError(self._failed(exc.strerror or str(exc))) from None
        finally:
            os.close(fd)

    def check(self) -> None:
        """Open the written file again: it must decode to exactly the frames written."""
        import cv2

        readable = 0
        with opencv_path(self.tmp) as name:
            capture = cv2.VideoCapture(name)
        try:
            while capture.isOpened() and capture.grab():
                readable += 1
        finally:
            capture.release()
        if readable != self.frames:
            free = free_bytes(self.tmp.parent)
            why = "the disk is full" if free < 1 << 20 else "the encoder failed"
            raise VideoWriteError(self._failed(f"{why}: {readable} of {self.frames} frames readable, {free:,} B free"))

    def _failed(self, why: str) -> str:
        return f"could not write {self.target} ({why}); nothing was replaced"


@contextmanager
def video_file(target: str | os.PathLike, fps: float, fourcc: str = "mp4v") -> Iterator[_Sink]:
    """Yield a sink with `write(frame)` (BGR or gray, all one size); on leaving the block the video
    is closed, checked and renamed onto `target`. On any failure `target` is left as it was and the
    partial file is removed; a failed write raises VideoWriteError (one line)."""
    target = Path(target)
    quiet_video_logs()
    try:
        tmp = temp_beside(target)
    except OSError as exc:
        raise VideoWriteError(f"could not write {target} ({exc.strerror or exc}); nothing was replaced") from None
    sink = _Sink(tmp, target, fps, fourcc)
    try:
        yield sink
        sink.release()
        if sink.frames == 0:
            raise VideoWriteError(f"no frame to write into {target}; nothing was replaced")
        sink.check()
        try:
            commit(tmp, target)
        except OSError as exc:
            raise VideoWriteError(sink._failed(exc.strerror or str(exc))) from None
    finally:
        sink.release(finish=False)
        if tmp.exists():
            tmp.unlink()
        release(tmp)
