"""Training test fixtures: small Keras-format and IDX copies of the builtin digits, made on the fly."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(scope="session")
def builtin():
    from dae_train.data import builtin_digits

    return builtin_digits()


def write_idx(path: Path, array: np.ndarray, compress: bool = False) -> Path:
    """Write a uint8 array in the IDX format (magic 0x0000 08 ndim, big-endian sizes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + np.ascontiguousarray(array, np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def mnist_npz(tmp_path, builtin) -> Path:
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=builtin.images[:600],
        y_train=builtin.labels[:600],
        x_test=builtin.images[600:700],
        y_test=builtin.labels[600:700],
    )
    return path


@pytest.fixture
def idx_writer():
    return write_idx
