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


def write_paper_clip(path, digits, frames: int, fps: float = 15, size=(480, 640)) -> None:
    """An mp4v clip of `digits` on paper, shifted a little from frame to frame."""
    import cv2

    from dae_runtime.synthetic import paper_frame

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size[1], size[0]))
    for i in range(frames):
        writer.write(paper_frame(digits, size, shift=(i % 3, 2 * (i % 4))))
    writer.release()
