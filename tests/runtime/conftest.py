"""Runtime test fixtures: digit-like images drawn with OpenCV, so runtime tests need no dataset package."""

from __future__ import annotations

import numpy as np
import pytest

from dae_runtime.synthetic import synthetic_digits


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """64 synthetic clean digits, float32 (64, 28, 28)."""
    return synthetic_digits(64)
