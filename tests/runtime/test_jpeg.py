"""The browser view's JPEG encoder (dae_runtime.jpeg): simplejpeg where installed, else OpenCV's."""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest

from dae_runtime.jpeg import jpeg_encoder, opencv_encoder


def _view() -> np.ndarray:
    view = np.full((48, 80, 3), 230, np.uint8)
    cv2.putText(view, "7", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    cv2.rectangle(view, (50, 5), (75, 40), (200, 0, 0), 2)  # blue in BGR: stays blue
    return view[:, :76]  # not contiguous: the view may be a slice


@pytest.mark.parametrize("make", [jpeg_encoder, opencv_encoder])
def test_the_jpeg_is_the_view(make):
    view = _view()
    decoded = cv2.imdecode(np.frombuffer(make(80)(view), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == view.shape
    assert np.abs(decoded.astype(int) - view).mean() < 8  # sharp edges at quality 80
    assert decoded[20, 50, 0] > decoded[20, 50, 2] + 100  # blue, not red: the channels are in BGR order


def test_without_simplejpeg_opencv_encodes(monkeypatch):
    monkeypatch.setitem(sys.modules, "simplejpeg", None)  # import simplejpeg fails
    jpeg = jpeg_encoder(80)(_view())
    assert jpeg is not None and jpeg[:2] == b"\xff\xd8"


@pytest.mark.parametrize("make", [jpeg_encoder, opencv_encoder])
def test_a_gray_image_is_encoded_too(make):
    gray = cv2.cvtColor(_view(), cv2.COLOR_BGR2GRAY)
    decoded = cv2.imdecode(np.frombuffer(make(80)(gray), np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.shape == gray.shape and np.abs(decoded.astype(int) - gray).mean() < 8


def test_where_simplejpeg_is_installed_it_encodes_the_view(monkeypatch):
    # `make install` and the runtime-only venv install it (the test group), as the Pi bundle does: so the
    # simplejpeg case of test_the_jpeg_is_the_view is really simplejpeg's, not OpenCV's behind it.
    import simplejpeg

    calls = []
    real = simplejpeg.encode_jpeg
    monkeypatch.setattr(simplejpeg, "encode_jpeg", lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    assert jpeg_encoder(80)(_view()) is not None and calls == [(80, "BGR", "420")]
