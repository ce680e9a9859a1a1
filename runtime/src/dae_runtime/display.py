"""Whether `dae live` can open a window, asked before any window call.

On Linux, opencv-python's Qt aborts the whole process (SIGABRT, exit 134) when neither DISPLAY
nor WAYLAND_DISPLAY is set, so this is checked up front; an OpenCV built without a GUI
(opencv-python-headless) would raise cv2.error instead.
"""

from __future__ import annotations

import os
import re
import sys

NO_WINDOW_HINT = "use --headless --out FILE to write the video, or --serve [HOST:]PORT to watch it in a browser"


def opencv_has_gui() -> bool:
    import cv2

    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    return not match or match.group(1).upper() != "NONE"


def window_problem() -> str | None:
    """Why no window can be shown here (one line with what to do instead), or None."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return f"no display (DISPLAY and WAYLAND_DISPLAY are unset): {NO_WINDOW_HINT}"
    if not opencv_has_gui():
        return f"this OpenCV has no GUI (opencv-python-headless): {NO_WINDOW_HINT}"
    return None
