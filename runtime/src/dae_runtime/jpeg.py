"""JPEG for the live view's browser stream and the recordings' frames: libjpeg-turbo through simplejpeg where
it is installed (the Pi bundle's requirements-rpi.txt pins it, for picamera2), else OpenCV's cv2.imencode.
Both release the GIL.

simplejpeg takes a BGR image as it is, where OpenCV's encoder goes through its own conversions: on an
emulated Pi 4 (Cortex-A72) an 824x480 view at quality 80 costs 6.95 M instructions through simplejpeg
against 8.04 M through cv2.imencode (benchmarks/README.md, the live loop on a Pi's budget).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Encoder = Callable[[np.ndarray], "bytes | None"]


def jpeg_encoder(quality: int) -> Encoder:
    """A function uint8 image (BGR, or gray) -> JPEG bytes (4:2:0, `quality`), or None if it could not be encoded."""
    fallback = opencv_encoder(quality)
    try:
        import simplejpeg
    except ImportError:
        return fallback

    def encode(image: np.ndarray) -> bytes | None:
        if image.ndim != 3 or image.shape[2] != 3:
            return fallback(image)
        return simplejpeg.encode_jpeg(np.ascontiguousarray(image), quality, "BGR", "420")

    return encode


def opencv_encoder(quality: int) -> Encoder:
    import cv2

    params = [cv2.IMWRITE_JPEG_QUALITY, quality]

    def encode(image: np.ndarray) -> bytes | None:
        ok, buf = cv2.imencode(".jpg", image, params)
        return buf.tobytes() if ok else None

    return encode
