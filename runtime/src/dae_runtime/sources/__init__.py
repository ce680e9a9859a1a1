"""Frame sources for `dae live`: USB webcams (OpenCV/V4L2), the Pi camera (picamera2), files and streams."""

from __future__ import annotations

import importlib

from dae_runtime.sources.base import CaptureSettings, FrameSource, SourceError
from dae_runtime.sources.source_kinds import kinds, make_source, register, unregister

# Each module registers its source on import; none imports its camera library before `open`.
SOURCE_MODULES = ("stream", "v4l2", "picam")
for _module in SOURCE_MODULES:
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["CaptureSettings", "FrameSource", "SourceError", "kinds", "make_source", "register", "unregister"]
