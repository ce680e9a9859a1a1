"""Overlapping tiles: a big image is denoised window by window, with memory bounded by the tile.

The models are fully convolutional, so an output pixel depends only on the input pixels within
its receptive field. For the seed (conv 3x3, pool 2, conv 3x3, pool 2, conv 3x3, up 2, conv 3x3,
up 2, conv 3x3, all "same"), following one output pixel back through the layers gives the input
rows [4k-11, 4k+10] for output row 4k and [4k-10, 4k+11] for row 4k+3: at most 11 pixels either
side. A window that reaches SEED_MARGIN >= 11 pixels past the part of it that is kept, and
starts on the model's size multiple (so the poolings see the same 2x2 blocks as in one pass),
computes the kept part from exactly the values one pass would use: the tiled result equals the
one-pass result up to float summation order (tests/runtime/test_tiles.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

SEED_RECEPTIVE_RADIUS = 11  # input pixels either side of an output pixel that reach it (see above)


@dataclass(frozen=True)
class TileConfig:
    # Side of the kept part of a tile. An image whose padded area is at most tile * tile runs in one
    # pass (768: a 640x480 frame is one pass); larger ones go in tiles of (tile + 2 * margin)^2 pixels,
    # about 80 MB of fp32 activations each for the seed.
    tile: int = 768
    margin: int = 12  # SEED_RECEPTIVE_RADIUS rounded up to the size multiple 4

    def aligned(self, multiple: int) -> TileConfig:
        """Tile and margin rounded up to the model's size multiple (alignment keeps poolings exact)."""
        up = lambda v: -(-max(v, 1) // multiple) * multiple  # noqa: E731
        return TileConfig(up(self.tile), up(self.margin) if self.margin else 0)


@dataclass(frozen=True)
class Window:
    rows: slice  # the rows/cols read from the (edge-padded) image
    cols: slice
    keep_rows: slice  # the part of the window's output that is kept ...
    keep_cols: slice
    out_rows: slice  # ... and where it goes in the output image
    out_cols: slice


def _spans(padded: int, size: int, tile: int, margin: int) -> list[tuple[slice, slice, slice]]:
    """(read, keep-within-window, output) spans along one axis; output spans are cut to `size`.

    Every read span has the same length (tile + 2 * margin, or the whole axis if that is shorter): a
    span that would run past an edge is shifted inwards instead of cut. So every window of an image
    has one shape, onnxruntime plans one set of buffers for all of them, and a big image costs the
    memory of one tile's inference whatever its size or CPU (issue 28: edge windows of other shapes
    made the arena keep blocks of several sizes)."""
    length = min(tile + 2 * margin, padded)
    spans = []
    for start in range(0, padded, tile):
        stop = min(start + tile, padded)
        lo = min(max(0, start - margin), padded - length)  # multiples of the size multiple, like padded
        out_stop = min(stop, size)
        if start >= out_stop:
            break
        spans.append((slice(lo, lo + length), slice(start - lo, out_stop - lo), slice(start, out_stop)))
    return spans


def windows(height: int, width: int, multiple: int, config: TileConfig) -> Iterator[Window]:
    """The windows covering an image; one window (the whole padded image) if it fits in a tile."""
    ph, pw = -(-height // multiple) * multiple, -(-width // multiple) * multiple
    cfg = config.aligned(multiple)
    if ph * pw <= cfg.tile * cfg.tile:
        yield Window(slice(0, ph), slice(0, pw), slice(0, height), slice(0, width), slice(0, height), slice(0, width))
        return
    for rows, keep_rows, out_rows in _spans(ph, height, cfg.tile, cfg.margin):
        for cols, keep_cols, out_cols in _spans(pw, width, cfg.tile, cfg.margin):
            yield Window(rows, cols, keep_rows, keep_cols, out_rows, out_cols)


def read_window(image: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    """image[rows, cols] where the window may run past the bottom/right edge: those pixels repeat
    the last row/column, as np.pad(mode="edge") of the whole image would give. A view or a small copy."""
    h, w = image.shape
    part = image[rows.start : min(rows.stop, h), cols.start : min(cols.stop, w)]
    extra_rows, extra_cols = rows.stop - rows.start - part.shape[0], cols.stop - cols.start - part.shape[1]
    if extra_rows or extra_cols:
        part = np.pad(part, ((0, extra_rows), (0, extra_cols)), mode="edge")
    return part
