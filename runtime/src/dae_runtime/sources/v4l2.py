"""USB webcams through OpenCV: `--camera 0` or `--camera /dev/video0` (V4L2 on Linux)."""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np

from dae_runtime.sources.base import CaptureSettings, FrameSource, SourceError, quiet_opencv
from dae_runtime.sources.source_kinds import register

_DEVICE = re.compile(r"^(\d+|/dev/video\d+)$")


@register("v4l2", "camera", accepts=lambda spec: bool(_DEVICE.match(spec)), example="N or /dev/videoN (USB webcam)")
class OpenCVCamera(FrameSource):
    def __init__(self, spec: str, settings: CaptureSettings):
        self.device: int | str = int(spec) if spec.isdigit() else spec
        self.settings = settings
        self.name = f"camera {spec}"
        self.capture: Any = None  # cv2.VideoCapture once open

    def open(self) -> None:
        import cv2

        quiet_opencv()
        # V4L2 by name on Linux: OpenCV would otherwise try GStreamer/FFmpeg on an index first.
        backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
        try:
            capture = cv2.VideoCapture(self.device, backend)
        except (cv2.error, OverflowError):  # an index too big for a C int
            capture = cv2.VideoCapture()
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot open {self.name} (is a webcam plugged in? try `ls /dev/video*`)")
        s = self.settings
        if s.width and s.height:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, s.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, s.height)
        if s.fps:
            capture.set(cv2.CAP_PROP_FPS, s.fps)
        self.fps = capture.get(cv2.CAP_PROP_FPS) or (s.fps or 30.0)
        self.capture = capture

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        if not ok:  # a camera never ends: unplugged, or no frame within V4L2's select timeout
            raise SourceError(f"{self.name} stopped giving frames (unplugged?)")
        return frame

    def release(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None
