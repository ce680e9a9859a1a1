"""Runtime test fixtures: digit-like images drawn with OpenCV, so runtime tests need no dataset package."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from dae_runtime.synthetic import synthetic_digits


@pytest.fixture(scope="session")
def digits() -> np.ndarray:
    """64 synthetic clean digits, float32 (64, 28, 28)."""
    return synthetic_digits(64)


@pytest.fixture
def picamera2(monkeypatch):
    """The stand-in picamera2 package (tests/runtime/standins) on sys.path, fresh for each test."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent / "standins"))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    import picamera2

    assert picamera2.__version__.endswith("standin")
    picamera2.Picamera2.instances, picamera2.Picamera2.cameras = [], 1
    picamera2.Picamera2.force_format, picamera2.Picamera2._in_use = None, set()
    yield picamera2.Picamera2
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
