"""A stand-in engine for `dae compare`: what a new engine module looks like (one loader, one Engine).

Its "model" file holds the size of a box filter as text; running it blurs the noisy digits with
numpy. tests/runtime/test_engine_registry.py registers it with one `register_engine` call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_runtime.bench.engines import Engine


def box_filter(x: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W[, 1]) -> (N, H, W): the mean over a size x size window, edges repeated."""
    images = x[..., 0] if x.ndim == 4 else x
    r = size // 2
    padded = np.pad(images, ((0, 0), (r, r), (r, r)), mode="edge")
    h, w = images.shape[1:]
    windows = [padded[:, i : i + h, j : j + w] for i in range(size) for j in range(size)]
    return np.asarray(np.mean(windows, axis=0, dtype=np.float32))


def standin_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    size = int(Path(path).read_text())
    if size < 1 or size % 2 == 0:
        raise ValueError(f"{path}: the box size must be odd and positive, got {size}")
    return Engine("standin", precision, Path(path), lambda x: box_filter(x, size))
