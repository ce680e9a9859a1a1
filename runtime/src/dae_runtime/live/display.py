"""Whether `dae live` can open a window, asked before any window call.

On Linux, opencv-python's Qt aborts the whole process (SIGABRT, exit 134) when neither DISPLAY
nor WAYLAND_DISPLAY is set, so this is checked up front; an OpenCV built without a GUI
(opencv-python-headless) would raise cv2.error instead.
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import suppress

NO_WINDOW_HINT = "use --headless --out FILE to write the video, or --serve [HOST:]PORT to watch it in a browser"


def opencv_has_gui() -> bool:
    import cv2

    match = re.search(r"^\s*GUI:\s*(\S+)", cv2.getBuildInformation(), re.MULTILINE)
    return not match or match.group(1).upper() != "NONE"


def x_display_answers(display: str) -> bool:
    """Whether an X server listens at DISPLAY ([HOST]:N[.S]), as Xlib would connect; Qt aborts if none does."""
    import socket

    host, _, screen = display.rpartition(":")
    number = screen.split(".")[0]
    if not number.isdigit():
        return True  # a form this check does not know: let OpenCV try
    try:
        if host in ("", "unix"):
            path = f"/tmp/.X11-unix/X{number}"
            for address in ("\0" + path, path):  # the abstract socket first, as Xlib does
                with suppress(OSError), socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(1)
                    s.connect(address)
                    return True
            return False
        socket.create_connection((host, 6000 + int(number)), timeout=1).close()  # ssh -X: localhost:10
        return True
    except OSError:
        return False


def window_problem() -> str | None:
    """Why no window can be shown here (one line with what to do instead), or None."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return f"no display (DISPLAY and WAYLAND_DISPLAY are unset): {NO_WINDOW_HINT}"
    display = os.environ.get("DISPLAY")
    if sys.platform.startswith("linux") and display and not x_display_answers(display):
        return f"no X server answers at DISPLAY={display}: {NO_WINDOW_HINT}"
    if not opencv_has_gui():
        return f"this OpenCV has no GUI (opencv-python-headless): {NO_WINDOW_HINT}"
    return None
