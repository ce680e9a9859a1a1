"""Reading back the videos the tests make or `dae` writes."""

from __future__ import annotations


def frames_in(path) -> tuple[int, tuple | None]:
    """(number of readable frames, shape of the last one) of a video file."""
    import cv2

    capture, n, shape = cv2.VideoCapture(str(path)), 0, None
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return n, shape
            n, shape = n + 1, frame.shape
    finally:
        capture.release()
