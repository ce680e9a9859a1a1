"""Runtime test fixtures: digit-like images drawn with OpenCV, so runtime tests need no dataset package."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


def synthetic_digits(n: int, seed: int = 0) -> np.ndarray:
    """float32 (n, 28, 28) white-on-black digits in [0, 1], drawn with varied fonts and offsets."""
    rng = np.random.default_rng(seed)
    fonts = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX]
    out = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        org = (int(rng.integers(5, 9)), int(rng.integers(21, 25)))
        cv2.putText(out[i], str(i % 10), org, fonts[i % len(fonts)], 0.8, 255, int(rng.integers(2, 4)), cv2.LINE_AA)
    return out.astype(np.float32) / 255.0


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """64 synthetic clean digits, float32 (64, 28, 28)."""
    return synthetic_digits(64)
