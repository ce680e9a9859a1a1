"""The composed live view into a video file (`dae live --out`): a recording that survives a kill
(dae_runtime.recording), renamed into place whole when the session ends.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from dae_runtime.sources.base import SourceError


def check_out_writable(out: str) -> str | None:
    """One line saying why `out` cannot be written, or None; checked before any camera opens."""
    from dae_runtime.recording import MP4_SUFFIXES

    suffix = Path(out).suffix
    if not suffix:  # '-' is not stdout here
        return f"cannot write --out {out}: give a video file name such as live.mp4"
    if suffix.lower() not in MP4_SUFFIXES:
        return f"cannot write --out {out}: recordings are MP4 ({', '.join(MP4_SUFFIXES)}); give a name such as live.mp4"
    folder = Path(out).resolve().parent
    while not folder.exists():  # atomic_path creates missing folders: check the first one that exists
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write --out {out}: the folder {folder} is not writable"
    size, most = len(os.fsencode(Path(out).name)), _name_max(folder)
    if size > most:  # else found only at the end, when the finished recording is renamed onto it
        return f"cannot write --out {out}: its name is {size} bytes, over the {most} a file name can have there"
    return None


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def fit(view: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`view` scaled to fit inside (h, w), keeping its aspect, centred on black."""
    import cv2

    (h, w), (vh, vw) = size, view.shape[:2]
    scale = min(h / vh, w / vw)
    sh, sw = max(1, min(h, round(vh * scale))), max(1, min(w, round(vw * scale)))
    canvas = np.zeros((h, w, 3), np.uint8)
    y, x = (h - sh) // 2, (w - sw) // 2
    canvas[y : y + sh, x : x + sw] = cv2.resize(view, (sw, sh), interpolation=cv2.INTER_AREA)
    return canvas


class VideoOut:
    """Frames into `path` through dae_runtime.recording: written aside in fragments, checked, then
    renamed into place; on any failure the earlier file at `path` stays as it was (a SourceError, one
    line naming where the frames recorded so far were kept)."""

    def __init__(self, path: str, fps: float):
        # An infinite, nan or 0 rate has no timescale (and hung OpenCV's writer): keep to what files use.
        self.path, self.fps = path, fps if math.isfinite(fps) and 1 <= fps <= 240 else 30.0
        self._file: Any = None
        self._sink: Any = None
        self._size: tuple[int, int] | None = None

    def __enter__(self) -> VideoOut:
        from dae_runtime.recording import recording
        from dae_runtime.video_out import VideoWriteError

        self._file = recording(self.path, self.fps)
        try:
            self._sink = self._file.__enter__()
        except VideoWriteError as exc:
            raise SourceError(str(exc)) from None
        return self

    def write(self, view: np.ndarray) -> None:
        from dae_runtime.video_out import VideoWriteError

        if self._size is None:
            self._size = view.shape[:2]
        elif view.shape[:2] != self._size:  # one size per video (the f key switches to the narrower full frame)
            view = fit(view, self._size)
        try:
            self._sink.write(view)
        except VideoWriteError as exc:
            raise SourceError(str(exc)) from None

    def __exit__(self, *exc) -> None:
        from dae_runtime.video_out import VideoWriteError

        try:
            self._file.__exit__(*exc)  # closes, checks and renames; keeps whole fragments aside on failure
        except VideoWriteError as error:
            raise SourceError(str(error)) from None
