"""The composed live view into a video file (`dae live --out`), written atomically.

All the code that writes --out frames is here, so a checked (full-disk-safe) writer can
replace `VideoOut.write` alone.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from dae_runtime.sources.base import SourceError


def check_out_writable(out: str) -> str | None:
    """One line saying why `out` cannot be written, or None; checked before any camera opens."""
    folder = Path(out).resolve().parent
    while not folder.exists():  # atomic_path creates missing folders: check the first one that exists
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write --out {out}: the folder {folder} is not writable"
    return None


class VideoOut:
    """Frames into `path` (mp4v) via a temporary file renamed into place on close; nothing on failure."""

    def __init__(self, path: str, fps: float):
        self.path, self.fps = path, fps
        self._stack = ExitStack()
        self._tmp: Path | None = None
        self._writer = None

    def __enter__(self) -> VideoOut:
        from dae_runtime.atomic import atomic_path

        self._tmp = self._stack.enter_context(atomic_path(self.path))
        return self

    def write(self, view: np.ndarray) -> None:
        import cv2

        if self._writer is None:
            h, w = view.shape[:2]
            self._writer = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            self._stack.callback(self._writer.release)
            if not self._writer.isOpened():
                raise SourceError(f"OpenCV cannot write the video {self.path} (use a .mp4 name)")
        self._writer.write(view)

    def __exit__(self, *exc) -> None:
        if exc[0] is None and self._writer is None:  # no frame came: no empty video either
            exc = (SourceError, SourceError("no frame to write"), None)
            self._stack.__exit__(*exc)
            return
        if self._writer is not None:
            self._writer.release()  # finish the file before atomic_path renames it
        self._stack.__exit__(*exc)
