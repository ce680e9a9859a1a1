"""Digits and paper frames drawn with OpenCV: test and benchmark material that needs no dataset."""

from __future__ import annotations

import numpy as np


def synthetic_digits(n: int, seed: int = 0) -> np.ndarray:
    """float32 (n, 28, 28) white-on-black digits in [0, 1], varied fonts, thickness and offsets."""
    import cv2

    rng = np.random.default_rng(seed)
    fonts = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX]
    out = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        org = (int(rng.integers(5, 9)), int(rng.integers(21, 25)))
        cv2.putText(out[i], str(i % 10), org, fonts[i % len(fonts)], 0.8, 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    return out.astype(np.float32) / 255.0


def paper_frame(
    digits: np.ndarray, size: tuple[int, int] = (480, 640), scale: int = 3, shift: tuple[int, int] = (0, 0)
) -> np.ndarray:
    """A BGR photo-like frame: the digits as dark ink on slightly uneven paper, in a grid."""
    import cv2

    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    paper = 215 + 25 * (xx / w) - 15 * (yy / h)  # a lighting gradient across the sheet
    gray = paper.copy()
    cell = 28 * scale
    cols = max(1, (w - 40) // (cell + 20))
    for i, digit in enumerate(digits):
        r, c = divmod(i, cols)
        y0, x0 = 30 + r * (cell + 30) + shift[0], 20 + c * (cell + 20) + shift[1]
        if y0 + cell > h or x0 + cell > w or y0 < 0 or x0 < 0:
            break
        big = cv2.resize(digit, (cell, cell), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        region = gray[y0 : y0 + cell, x0 : x0 + cell]
        gray[y0 : y0 + cell, x0 : x0 + cell] = region * (1 - big) + 30 * big
    return cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
