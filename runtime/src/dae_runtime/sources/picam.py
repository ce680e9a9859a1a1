"""The Raspberry Pi Camera Module through picamera2: `--camera picam` (`picam:1` for a second sensor).

On Raspberry Pi OS bookworm the camera is driven by libcamera and is no V4L2 device OpenCV can
open; picamera2 is the supported path. It comes from apt (python3-picamera2), so the venv must be
made with --system-site-packages to see it.
"""

from __future__ import annotations

import re
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import suppress
from typing import Any

import numpy as np

from dae_runtime.sources.base import CaptureSettings, FrameSource, SourceError
from dae_runtime.sources.source_kinds import register

_SPEC = re.compile(r"^picam(?::(\d+))?$")
INSTALL_HINT = (
    "picamera2 is not installed: on Raspberry Pi OS run `sudo apt install python3-picamera2` "
    "and use a venv made with `python3 -m venv --system-site-packages`"
)
# What picamera2 and libcamera raise for a busy, missing or misconfigured camera.
PICAMERA_ERRORS = (RuntimeError, OSError, IndexError, ValueError, KeyError)
FORMAT = "RGB888"  # picamera2's RGB888 is stored B, G, R: OpenCV's order, 3 bytes a pixel
# capture_array waits for ever by default: a camera whose cable slipped ("Camera frontend has timed out!")
# would hang the session instead of ending it for a service manager to restart. Ten seconds is many
# frames even at 1 FPS.
FRAME_TIMEOUT_S = 10.0
# Bookworm's apt simplejpeg (imported by picamera2) is built for numpy 1; a venv holding numpy 2 fails
# its import with this ValueError ("numpy.dtype size changed"): picamera2 issues 1088 and 1211.
NUMPY_HINT = "run `pip install simplejpeg` in this venv (apt's simplejpeg is built for numpy 1)"


def to_bgr(array: np.ndarray, fmt: str) -> np.ndarray:
    """A picamera2 `capture_array` result in `fmt` as OpenCV BGR (h, w, 3).

    picamera2 names formats by their little-endian words: XBGR8888 (its video default) is
    R, G, B, 255 in memory, XRGB8888 is B, G, R, 255, RGB888 is B, G, R and BGR888 is R, G, B.
    """
    import cv2

    fmt = fmt.upper()
    if fmt == "YUV420":  # (h * 3 / 2, w) planar I420
        return cv2.cvtColor(array, cv2.COLOR_YUV2BGR_I420)
    if array.ndim == 3 and array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_RGBA2BGR if fmt == "XBGR8888" else cv2.COLOR_BGRA2BGR)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array[:, :, ::-1]) if fmt == "BGR888" else array
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    raise SourceError(f"picamera2 returned frames of shape {array.shape} in format {fmt}, which dae live cannot use")


@register("picam", "camera", accepts=lambda spec: bool(_SPEC.match(spec)), example="picam or picam:N (Pi camera)")
class PiCamera(FrameSource):
    def __init__(self, spec: str, settings: CaptureSettings):
        match = _SPEC.match(spec)
        self.index = int(match.group(1) or 0) if match else 0
        self.settings = settings
        self.name = f"Pi camera {self.index}"
        self.camera: Any = None  # picamera2.Picamera2 once open
        self.format = FORMAT

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError(INSTALL_HINT) from None
        except ValueError as exc:
            raise SourceError(f"picamera2 cannot be imported here ({exc}): {NUMPY_HINT}") from None
        try:
            found = len(Picamera2.global_camera_info())
        except PICAMERA_ERRORS as exc:  # libcamera itself fails to start
            raise SourceError(f"cannot list the Pi cameras: {exc}") from None
        if self.index >= found:
            raise SourceError(f"cannot open {self.name}: libcamera sees {found} camera(s) (check the ribbon cable)")
        s = self.settings
        try:
            camera = Picamera2(self.index)
        except PICAMERA_ERRORS as exc:  # busy (another process has it) or a libcamera failure
            raise SourceError(f"cannot open {self.name}: {exc}") from None
        try:
            config = camera.create_video_configuration(
                main={"size": (s.width or 640, s.height or 480), "format": FORMAT},
                controls={"FrameRate": float(s.fps)} if s.fps else {},
            )
            camera.configure(config)
            # The format the camera actually gives (configuring may change it): frames are converted from it.
            self.format = str((camera.camera_configuration() or config)["main"].get("format", FORMAT))
            camera.start()
        except PICAMERA_ERRORS as exc:
            with suppress(*PICAMERA_ERRORS):
                camera.close()
            raise SourceError(f"cannot start {self.name}: {exc}") from None
        self.camera, self.fps = camera, float(s.fps or 30.0)

    def read(self) -> np.ndarray | None:
        try:
            array = self.camera.capture_array("main", wait=FRAME_TIMEOUT_S)
        except (FutureTimeout, TimeoutError):  # one class from Python 3.11 on, two before
            # picamera2's documented tidying after a timed-out capture, so that the camera can be closed
            with suppress(*PICAMERA_ERRORS):
                self.camera.cancel_all_and_flush()
            raise SourceError(f"{self.name} gave no frame for {FRAME_TIMEOUT_S:g} s (check the ribbon cable)") from None
        except PICAMERA_ERRORS as exc:  # e.g. "Camera frontend has timed out!" when the ribbon cable slips
            raise SourceError(f"{self.name} stopped giving frames: {exc}") from None
        return to_bgr(array, self.format)

    def release(self) -> None:
        if self.camera is not None:
            camera, self.camera = self.camera, None
            # Every frame is already processed (and --out finished): a camera that fails to stop costs nothing.
            with suppress(*PICAMERA_ERRORS):
                camera.stop()
            with suppress(*PICAMERA_ERRORS):
                camera.close()
