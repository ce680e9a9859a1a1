"""Video files and network streams through OpenCV's FFmpeg backend: `--source FILE|URL`.

http(s) MJPEG (phone IP-camera apps), rtsp:// cameras and tcp:// streams (`rpicam-vid -o tcp://...`)
are live: when one drops, it is reopened with backoff and the session goes on; only a stream that
never opens, or stays away longer than `reconnect_seconds`, is an error. A file ends, or with
`loop` starts again from its first frame.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dae_runtime.cv_paths import opencv_can_take, opencv_path, printable
from dae_runtime.sources.base import CaptureSettings, FrameSource, SourceError, quiet_opencv
from dae_runtime.sources.source_kinds import register

LIVE_SCHEMES = ("http://", "https://", "rtsp://", "rtsps://", "rtmp://", "tcp://", "udp://", "srt://")
TIMEOUT_MS = 5000  # FFmpeg's own open/read timeouts are 30 s: too long for a camera that went away
FIRST_RETRY_S, MAX_RETRY_S = 0.25, 2.0


def is_live(spec: str) -> bool:
    return spec.lower().startswith(LIVE_SCHEMES)


SECRET_PARAMETERS = ("user", "usr", "login", "pass", "pwd", "token", "key", "auth", "secret", "sig", "cred", "session")
_SECRET_ASSIGNMENT = re.compile("(" + "|".join(SECRET_PARAMETERS) + ")[^=/]*=", re.IGNORECASE)


def display_name(spec: str) -> str:
    """A URL without its user:password@, query parameters that look like credentials (?user=admin&
    password=..., token=, key=, auth=, ...), path segments that hold one (cheap cameras take
    /user=admin_password=...channel=1.sdp) and its #fragment: shown in the overlay and to every viewer."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    try:
        parts = urlsplit(spec)
    except ValueError:  # e.g. an unclosed [ in the host: show nothing of it rather than its password
        return spec.split("://", 1)[0] + "://(a URL that does not parse)"
    netloc = parts.netloc.rpartition("@")[2]

    def secret(parameter: str) -> bool:
        name = unquote(parameter.partition("=")[0]).lower()
        return any(word in name for word in SECRET_PARAMETERS)

    query = "&".join(p for p in re.split("[&;]", parts.query) if p and not secret(p))
    path = "/".join("(hidden)" if _SECRET_ASSIGNMENT.search(unquote(s)) else s for s in parts.path.split("/"))
    return urlunsplit(parts._replace(netloc=netloc, path=path, query=query, fragment=""))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@register("stream", "source", accepts=lambda spec: True, example="FILE or URL (http, rtsp, tcp)")
class StreamSource(FrameSource):
    def __init__(self, spec: str, settings: CaptureSettings, notify: Callable[[str], None] = _stderr):
        self.spec, self.settings, self.notify = spec, settings, notify
        self.live = is_live(spec)
        self.recorded = not self.live
        self.name = printable(display_name(spec) if self.live else Path(spec).name)  # OpenCV draws it
        self.capture: Any = None  # cv2.VideoCapture once open
        self.reconnects = 0
        self.loops = 0  # times a file started again (settings.loop)
        self._stopping = threading.Event()  # interrupt(): a reconnecting read gives up

    def _open_capture(self):
        import cv2

        # One decoding thread: the read is the live loop's capture stage, on a core of its own beside the
        # processing and the encoding (FFmpeg's frame threads would take a core each, and a frame of latency).
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, TIMEOUT_MS]
        params += [cv2.CAP_PROP_N_THREADS, 1]
        try:
            with opencv_path(self.spec) as name:  # a file name that is not UTF-8 crashed OpenCV
                capture = cv2.VideoCapture(name, cv2.CAP_FFMPEG, params)
        except OSError as exc:
            raise SourceError(f"cannot open video {printable(self.spec)}: {exc.strerror or exc}") from None
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def open(self) -> None:
        import cv2

        quiet_opencv()
        if not self.live and not Path(self.spec).is_file():
            raise SourceError(f"cannot open video {printable(self.spec)}: no such file")
        if self.live and not opencv_can_take(self.spec):
            raise SourceError(f"cannot open stream {self.name}: the URL is not UTF-8 (percent-encode it)")
        self.capture = self._open_capture()
        if self.capture is None:
            what = "stream" if self.live else "video"
            raise SourceError(f"cannot open {what} {self.name if self.live else printable(self.spec)}")
        self.fps = self.capture.get(cv2.CAP_PROP_FPS) or 30.0
        if not 1 <= self.fps <= 240:  # MJPEG over HTTP reports nonsense rates
            self.fps = 30.0

    def read(self) -> np.ndarray | None:
        ok, frame = self.capture.read()
        if ok:
            return frame
        if not self.live:
            return self._again() if self.settings.loop else None
        return self._reconnect()

    def interrupt(self) -> None:
        self._stopping.set()

    def _again(self) -> np.ndarray | None:
        """The file's first frame again (reopened: not every container seeks); None if it gives none."""
        self.capture.release()
        self.capture = self._open_capture()
        if self.capture is None:
            raise SourceError(f"cannot open video {printable(self.spec)} again to loop it")
        ok, frame = self.capture.read()
        if not ok:
            return None
        self.loops += 1
        return frame

    def _reconnect(self) -> np.ndarray | None:
        """Reopen a dropped live stream with backoff; SourceError once it stays away too long, None when the
        session ends meanwhile (interrupt)."""
        self.capture.release()
        started, wait = time.monotonic(), FIRST_RETRY_S
        self.notify(f"{self.name}: stream dropped, reconnecting")
        while time.monotonic() - started < self.settings.reconnect_seconds:
            if self._stopping.wait(wait):
                self.capture = None
                return None
            wait = min(2 * wait, MAX_RETRY_S)
            capture = self._open_capture()
            if capture is None:
                continue
            ok, frame = capture.read()
            if ok:
                self.capture, self.reconnects = capture, self.reconnects + 1
                self.notify(f"{self.name}: stream back after {time.monotonic() - started:.1f} s")
                return frame
            capture.release()
        self.capture = None
        raise SourceError(
            f"stream {self.name} dropped and did not come back within {self.settings.reconnect_seconds:g} s"
        )

    def release(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None
