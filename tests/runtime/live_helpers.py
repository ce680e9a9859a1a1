"""Test doubles for `dae live`: an MJPEG-over-HTTP camera on 127.0.0.1 that can drop and come back,
and helpers to run `dae live` as a real process and read a multipart stream."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

from dae_runtime.synthetic import paper_frame, synthetic_digits


class MJPEGCamera:
    """multipart/x-mixed-replace JPEGs of paper digits at `fps`, like a phone IP-camera app."""

    def __init__(self, fps: float = 30.0, size=(480, 640)):
        digits = synthetic_digits(8, seed=3)
        self.jpegs = [
            cv2.imencode(".jpg", paper_frame(digits, size, shift=(i % 3, 2 * (i % 4))))[1].tobytes() for i in range(12)
        ]
        self.fps = fps
        self.port = free_port()
        self.httpd = None
        self.served = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MJPEGCamera:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while camera.httpd is self.server:
                        jpeg = camera.jpegs[i % len(camera.jpegs)]
                        head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                        self.wfile.write(head.encode() + jpeg + b"\r\n")
                        camera.served, i = camera.served + 1, i + 1
                        time.sleep(1 / camera.fps)
                except OSError:
                    pass

        httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        httpd.daemon_threads = True
        self.httpd = httpd
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """The camera goes away: the listening socket closes and open streams end."""
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dae_command() -> list[str]:
    script = Path(sys.executable).parent / "dae"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from dae_runtime.cli import main; main()"]


def no_display_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class LiveProcess:
    """`dae live ... --serve 127.0.0.1:0` as a child process without a display; .url once it serves."""

    def __init__(self, *args: str, timeout: float = 90.0):
        cmd = [*dae_command(), "live", *args, "--serve", "127.0.0.1:0"]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=no_display_env()
        )
        self.lines: list[str] = []
        found = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line)
                if "Serving the live view on" in line:
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(timeout) or self.proc.poll() is not None:
            self.close()
            raise AssertionError("dae live did not start serving:\n" + "".join(self.lines))
        match = re.search(r"(http://127\.0\.0\.1:\d+)/(\?token=(\S+))?", "".join(self.lines))
        self.url, self.token = match.group(1), match.group(3)  # the token, when the printed address has one

    def get_json(self, path: str) -> dict:
        """GET `path` (with the token, if any) as JSON."""
        import json
        import urllib.request

        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        request = urllib.request.Request(self.url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Type"] == "application/json"
            return json.loads(response.read())

    def wait_for_frames(self, count: int = 5, timeout: float = 60) -> LiveProcess:
        """Until `count` frames are through: the model loaded, the stream open."""
        deadline = time.monotonic() + timeout
        while self.get_json("/stats")["frames"] < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: dae live stops like on Ctrl-C
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


def read_mjpeg(url: str, seconds: float, frames: list, timeout: float = 10.0) -> None:
    """Append every JPEG of a multipart stream to `frames` for `seconds` after the first one.

    Bounded: each read waits at most `timeout` seconds, and the whole at most seconds + 3 * timeout.
    """
    import urllib.request

    give_up = time.monotonic() + seconds + 3 * timeout
    deadline = None
    with urllib.request.urlopen(url, timeout=timeout) as response:
        assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        while time.monotonic() < min(deadline or give_up, give_up):
            line = response.readline()
            if not line:
                return
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
                response.readline()  # the blank line after the part's headers
                frames.append(response.read(length))
                deadline = deadline or time.monotonic() + seconds


def frames_kept(line: str) -> int:
    """N of a failed session's "(the N frames before it are in OUT)": the frames it processed, all recorded.
    (A camera's frames that come while the loop is busy are dropped at the capture stage, so a stand-in
    camera that answers at once loses some: the recording holds what was processed, not what was read.)"""
    match = re.search(r"\(the (\d+) frames before it are in ", line)
    assert match, line
    return int(match.group(1))


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in output, output
    return lines[0]


def raw_http(port: int, request: bytes, host: str = "127.0.0.1") -> bytes:
    """Send `request` as is and read until the server closes or goes quiet (bounded: 3 s of silence)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.settimeout(3)
        s.connect((host, port))
        s.sendall(request)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return data


def ask(port: int, path: str = "/stats", method: str = "GET", host: str = "127.0.0.1", **headers: str | None):
    """One request with exactly these headers (Host defaults to the address asked; None leaves it out):
    (status, response headers lowercased, body)."""
    fields = {"Host": f"[{host}]:{port}" if ":" in host else f"{host}:{port}", **headers, "Connection": "close"}
    lines = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in fields.items() if v is not None)
    answer = raw_http(port, f"{method} {path} HTTP/1.1\r\n{lines}\r\n".encode("latin-1"), host)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    assert status_line.startswith("HTTP/1."), answer[:200]
    return int(status_line.split()[1]), "\n".join(header_lines).lower(), body


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert condition()
