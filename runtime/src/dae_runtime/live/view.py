"""The composed live view: the frame with a box around each digit found, and beside it a panel of tiles,
input / noisy / denoised for every digit.

The panel shows every digit of the page: up to 7 at twice MNIST's size in one column (on a 480-row
frame), then at MNIST's own 28 pixels in two columns (30), then in more columns, the panel growing
(the pipeline never lets it shrink again, so a video keeps one size). The tiles are drawn in gray at
28 pixels, scaled 2x by nearest neighbour in one call, and turned to colour once: a few calls per
frame however many digits (the earlier per-pixel numpy copies of the 2x colour tiles cost about 6 M
instructions a frame on a Raspberry Pi 4's Cortex-A72).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MNIST = 28
TOP = 20  # rows above the tiles, for their labels
PAD = 4  # columns left of the tiles
PANEL = PAD + 3 * 2 * (MNIST + 2)  # 184: one column of 2x tiles, or two of 1x
GREEN, WHITE = (0, 200, 0), (255, 255, 255)
LABELS = {2: ("input", "noisy", "denoised"), 1: ("in", "noisy", "out")}


@dataclass(frozen=True)
class TileLayout:
    scale: int  # 2: 56-pixel tiles; 1: 28
    rows: int  # digits per column
    columns: int  # columns of digits, each three tiles wide

    @property
    def cell(self) -> int:
        """A tile and the gap after it."""
        return (MNIST + 2) * self.scale

    @property
    def width(self) -> int:
        return PAD + self.columns * 3 * self.cell

    def origin(self, i: int) -> tuple[int, int]:
        """Where (x, y) in the panel digit i's input tile starts; its noisy and denoised tiles follow."""
        column, row = divmod(i, self.rows)
        return PAD + column * 3 * self.cell, TOP + row * self.cell


def tile_layout(n: int, height: int, width: int = PANEL) -> TileLayout:
    """The largest tiles that show `n` digits in a panel `height` x `width`; more columns of 1x tiles
    (a wider panel) when even those do not fit. No rows (a frame under 50 pixels): no tiles."""
    for scale in (2, 1):
        rows = (height - TOP) // ((MNIST + 2) * scale)
        columns = max(1, math.ceil(n / rows)) if rows > 0 else 0
        if rows > 0 and PAD + columns * 3 * (MNIST + 2) * scale <= width:
            return TileLayout(scale, rows, columns)
    rows = max(0, (height - TOP) // (MNIST + 2))
    return TileLayout(1, rows, math.ceil(n / rows) if rows else 0)


def to_u8(images: np.ndarray) -> np.ndarray:
    """[0, 1] floats as 0..255 (rounded, saturated)."""
    import cv2

    flat = np.ascontiguousarray(images, np.float32).reshape(-1, images.shape[-1])
    return cv2.convertScaleAbs(flat, alpha=255).reshape(images.shape)


def tile_panel(
    digits: tuple[np.ndarray, np.ndarray, np.ndarray], layout: TileLayout, height: int, width: int
) -> np.ndarray:
    """The gray panel (height, width): labels, then each digit's clean, noisy and denoised (N, 28, 28) tiles."""
    import cv2

    panel = np.zeros((height, width), np.uint8)
    n = min(len(digits[0]), layout.rows * layout.columns)
    if layout.rows == 0:
        return panel
    header = _header(layout.scale, layout.columns)
    panel[: min(TOP, height), : header.shape[1]] = header[: min(TOP, height)]
    if n == 0:
        return panel
    rows, columns, cell = layout.rows, math.ceil(n / layout.rows), MNIST + 2
    tiles = to_u8(np.stack([d[:n] for d in digits], axis=1))  # (n, 3, 28, 28)
    cells = np.zeros((columns * rows, cell, 3, cell), np.uint8)
    cells[:n, :MNIST, :, :MNIST] = tiles.transpose(0, 2, 1, 3)
    grid = cells.reshape(columns, rows * cell, 3 * cell).transpose(1, 0, 2).reshape(rows * cell, columns * 3 * cell)
    if layout.scale != 1:
        grid = cv2.resize(grid, None, fx=layout.scale, fy=layout.scale, interpolation=cv2.INTER_NEAREST)
    panel[TOP : TOP + grid.shape[0], PAD : PAD + grid.shape[1]] = grid
    return panel


@lru_cache(maxsize=16)
def _header(scale: int, columns: int) -> np.ndarray:
    """The labels above each column of tiles (drawn once per layout, then copied)."""
    import cv2

    layout = TileLayout(scale, 1, columns)
    header = np.zeros((TOP, layout.width), np.uint8)
    for column in range(columns):
        for j, label in enumerate(LABELS[scale]):
            x = PAD + (3 * column + j) * layout.cell
            cv2.putText(header, label, (x, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.35 if scale == 2 else 0.3, 255, 1)
    header.setflags(write=False)
    return header


def compose(bgr: np.ndarray, boxes: list, panel: np.ndarray) -> np.ndarray:
    """The frame with its digits boxed, beside the panel: one new BGR image."""
    import cv2

    view = cv2.hconcat([bgr, cv2.cvtColor(panel, cv2.COLOR_GRAY2BGR)])
    draw_boxes(view, boxes)
    return view


# Two rings of corners per box from its (x, y, w, h) in three numpy calls for the page (the two dozen calls on
# columns that built them cost 0.25 M instructions a frame on a Pi 4, twice the drawing): (x, y, x + w, y + h),
# its corners in polygon order, then each ring's offset (the box's own edge, and one pixel outside it).
_EDGES = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1]], np.int32)
_CORNERS = np.array([0, 1, 2, 1, 2, 3, 0, 3])
_RINGS = np.array([[0] * 8, [-1, -1, 1, -1, 1, 1, -1, 1]], np.int32)[:, None, :]


def draw_boxes(view: np.ndarray, boxes: list) -> None:
    """A 2-pixel green frame around each box (x, y, w, h): two 1-pixel rings, all in one call. (OpenCV draws
    a line 2 pixels thick as a filled polygon per segment: a page of 10 boxes cost 0.54 M instructions a
    frame on a Pi 4, with their corner arrays made one by one.)"""
    import cv2

    if boxes:
        edges = np.asarray(boxes, np.int32).reshape(-1, 4) @ _EDGES
        cv2.polylines(view, list((edges[:, _CORNERS] + _RINGS).reshape(-1, 4, 2)), True, GREEN, 1)
