"""Image files in and out with no image-sized buffer beyond the image itself.

Memory (issue 28, measured 2026-12-06 on a 20000x20000 PNG): OpenCV's Python `imread(path, flags)`
decodes into OpenCV's own buffer and then copies it into a NumPy array, so a decode briefly holds the
image twice; `imread(path, None, flags)` decodes straight into NumPy's buffer (once). `imencode`
returns the encoded file through a C++ vector copied into NumPy, and `bytes()` of it a third copy;
`imwrite` streams the rows to the file. And `np.array_equal` builds an image-sized boolean array.
Paths go through cv_paths.opencv_path, which keeps these same calls for names that are not UTF-8.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

COMPARE_ROWS = 256  # rows compared at a time when a written image is read back (5 MB of a 20000-wide one)


class ImageWriteError(Exception):
    """The image could not be written whole; one line for the user."""


def read_image(path: str | os.PathLike, flags: int) -> np.ndarray | None:
    """The decoded image (NumPy owns its memory: one copy, never two), or None if OpenCV cannot read it."""
    import cv2

    from dae_runtime.cv_paths import UnusableName, opencv_path

    try:
        with opencv_path(path) as name:
            return cv2.imread(name, None, flags)
    except UnusableName:
        raise
    except OSError:  # what OpenCV would have said by None: no such file, no permission
        return None


@contextmanager
def captured_stderr() -> Iterator[list[str]]:
    """Redirect file descriptor 2 (where libpng and other C libraries print) into a list of lines
    for the block: the caller reports a failure in one line of its own instead of a stray
    'libpng error: Write Error'. Meant for short calls from the main thread."""
    said: list[str] = []
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield said
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            said += sink.read(4096).decode("utf-8", "replace").split("\n")
            said[:] = [line.strip() for line in said if line.strip()]


def same_image(read: np.ndarray | None, written: np.ndarray, rows: int = COMPARE_ROWS) -> bool:
    """Equal shape, type and pixels, compared a band of rows at a time."""
    if read is None or read.shape != written.shape or read.dtype != written.dtype:
        return False
    return all(np.array_equal(read[r : r + rows], written[r : r + rows]) for r in range(0, len(read), rows))


def write_png_checked(tmp: Path, image: np.ndarray) -> None:
    """Write `image` (uint8, gray or BGR) to `tmp` as PNG and read it back; ImageWriteError names the
    reason (libpng's own words if it gave any) when the file is not the image exactly."""
    import cv2

    from dae_runtime.cv_paths import opencv_path

    with opencv_path(tmp, write=True) as name, captured_stderr() as said:
        written = cv2.imwrite(name, image)
    if not written:
        why = said[-1].removeprefix("libpng error: ") if said else "no reason given"
        raise ImageWriteError(f"OpenCV's encoder failed: {why}")
    if not same_image(read_image(tmp, cv2.IMREAD_UNCHANGED), image):
        raise ImageWriteError("it does not read back as written")
