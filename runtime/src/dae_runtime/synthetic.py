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
    return paper_page(digits, size, scale, shift)[0]


def paper_page(
    digits: np.ndarray,
    size: tuple[int, int] = (480, 640),
    scale: int = 3,
    shift: tuple[int, int] = (0, 0),
    clutter: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """paper_frame, and the true box (x, y, w, h) of each digit's ink that fits on the page.

    `clutter` marks that are not digits go between them: ink specks, faint smudges and
    filled blots about a digit's size (see _clutter).
    """
    import cv2

    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    paper = 215 + 25 * (xx / w) - 15 * (yy / h)  # a lighting gradient across the sheet
    gray = paper.copy()
    cell = 28 * scale
    cols = max(1, (w - 40) // (cell + 20))
    boxes = []
    for i, digit in enumerate(digits):
        r, c = divmod(i, cols)
        y0, x0 = 30 + r * (cell + 30) + shift[0], 20 + c * (cell + 20) + shift[1]
        if y0 + cell > h or x0 + cell > w or y0 < 0 or x0 < 0:
            break
        big = cv2.resize(digit, (cell, cell), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        region = gray[y0 : y0 + cell, x0 : x0 + cell]
        gray[y0 : y0 + cell, x0 : x0 + cell] = region * (1 - big) + 30 * big
        bx, by, bw, bh = cv2.boundingRect((big > 0.5).astype(np.uint8))
        if bw and bh:
            boxes.append((x0 + bx, y0 + by, bw, bh))
    if clutter:
        _clutter(gray, list(boxes), clutter, cell, np.random.default_rng(seed))
    return cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), boxes


def _clutter(gray: np.ndarray, keep_clear: list, n: int, cell: int, rng: np.random.Generator) -> None:
    """n marks that are not digits, in place, away from the digit boxes: specks, smudges and blots in turn."""
    import cv2

    h, w = gray.shape
    placed = 0
    for _ in range(50 * n):
        if placed == n:
            return
        kind = placed % 3
        r = int(rng.integers(1, 4)) if kind == 0 else int(cell * rng.uniform(0.15, 0.3))
        ry = int(r * rng.uniform(1.0, 1.6)) if kind == 2 else r
        r = max(r, ry)
        cx, cy = int(rng.integers(r + 2, w - r - 2)), int(rng.integers(r + 2, h - r - 2))
        if any(x - r - 8 < cx < x + bw + r + 8 and y - r - 8 < cy < y + bh + r + 8 for x, y, bw, bh in keep_clear):
            continue
        mark = np.zeros_like(gray)
        if kind == 2:  # a filled blot: as dark as ink, but no stroke
            cv2.ellipse(mark, (cx, cy), (int(r / 1.3), ry), float(rng.uniform(0, 180)), 0, 360, 1, -1)
            depth = 1.0
        else:  # a speck of ink (1-3 px), or a faint smudge (a soft, light shadow)
            cv2.circle(mark, (cx, cy), r, 1, -1)
            depth = 1.0 if kind == 0 else 0.25
            if kind == 1:
                mark = cv2.GaussianBlur(mark, (0, 0), r / 2)
        gray[:] = gray * (1 - depth * mark) + 30 * depth * mark
        keep_clear.append((cx - r, cy - r, 2 * r, 2 * r))
        placed += 1
