"""`dae live --serve`: the composed view as MJPEG in any browser, figures as JSON, a few buttons.

The standard library's ThreadingHTTPServer is enough here and is what runs on a Pi without one
more package: three fixed routes, no files served. Who is answered (its own Host, its own page's
Origin, the token on the LAN) is dae_runtime.live.http_guard; what a client may cost (32
connections, 8 viewers, a deadline and a size bound for each request) is http_limits and frame_hub;
the frames come from frame_hub, which never makes the camera loop wait. (Not meant for the open
internet: plain HTTP, so the token crosses the LAN in clear text.)
"""

from __future__ import annotations

import io
import json
import queue
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import NamedTuple

from dae_runtime.live import http_limits
from dae_runtime.live.frame_hub import MAX_VIEWERS, FrameHub, View
from dae_runtime.live.http_guard import Guard, choose_token
from dae_runtime.live.page import PAGE, TOKEN_PAGE

BOUNDARY = "daeframe"
CONTROL_KEYS = {"noise_up": "+", "noise_down": "-", "mode": "f"}  # the window's keys, for LivePipeline.handle_key
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # no other page frames the buttons (clickjacking)
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class ServeAddress(NamedTuple):
    """Where and how `--serve` listens; (host, port) alone means the default token rule."""

    host: str
    port: int
    token: str | None = None  # None: a new random token when bound to anything but loopback, else none
    no_token: bool = False  # --no-token: no token even on the LAN


def parse_address(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """'4912' or 'HOST:4912' -> (host, port); ValueError with a short reason otherwise."""
    host, _, port = text.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    host = host[1:-1] if bracketed else host
    if not (port.isascii() and port.isdigit()) or int(port) > 65535 or (":" in host and not bracketed):
        raise ValueError(f"{text!r} is not [HOST:]PORT (an IPv6 address goes in brackets: [::1]:4912)")
    return host or default_host, int(port)


class LiveServer:
    """Serves `/` (the page), `/stream.mjpg`, `/stats` (JSON) and `POST /control?action=...`

    (actions: noise_up, noise_down, mode; with the header X-Dae-Control: 1).
    """

    def __init__(
        self, host: str, port: int, token: str | None = None, no_token: bool = False, *, stats, max_fps: float = 30.0
    ):
        self.hub = FrameHub(max_fps)
        self.stats = stats  # callable -> dict of the figures, called from server threads
        self.commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        handler = type("Handler", (_Handler,), {"live": self})
        server_class = http_limits.BoundedServer6 if ":" in host else http_limits.BoundedServer
        try:
            self.httpd = server_class((host, port), handler)
        except OSError as exc:
            self.hub.close()
            raise OSError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
        self.host: str = str(self.httpd.server_address[0])
        self.port: int = int(self.httpd.server_address[1])
        self.guard = Guard.for_server(self.host, self.port, choose_token(self.host, token, no_token))
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="dae-live-http", daemon=True)

    @property
    def url(self) -> str:
        """The address to open, with ?token= when one is needed."""
        query = f"?token={self.guard.token}" if self.guard.token else ""
        if self.host in ("0.0.0.0", "::"):  # every interface: name the machine as the LAN knows it (mDNS)
            name = min(self.guard.names - {"localhost"}, key=lambda n: (not n.endswith(".local"), n))
            return f"http://{name}:{self.port}/{query} (or http://<this machine's IP>:{self.port}/{query})"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{query}"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hub.close()
        self.httpd.shutdown()
        self.httpd.server_close()

    def publish(self, view: View, captured_at: float, pts: float | None = None) -> None:
        self.hub.publish(view, captured_at, pts)

    def pending_keys(self) -> list[int]:
        """Button presses since the last frame, as key codes; the camera loop applies them itself."""
        keys = []
        while not self.commands.empty():
            keys.append(ord(self.commands.get_nowait()))
        return keys

    def figures(self) -> dict:
        hub = self.hub
        return {**self.stats(), "latency_ms": round(1e3 * hub.latency, 1), "viewers": hub.viewers}


class _Handler(BaseHTTPRequestHandler):
    live: LiveServer
    server: http_limits.BoundedServer
    timeout = 10  # a viewer that stops reading for this long is dropped and frees its slot
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # not 0.9: an unparsable request line gets a status line and headers too
    _set_cookie = False

    def log_message(self, *args) -> None:  # no line per request on the console
        pass

    def version_string(self) -> str:
        return "dae-live"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own file: replaced by one that bounds each request
        self.reader = http_limits.RequestReader(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self.reader)

    def handle(self) -> None:
        try:
            super().handle()
        except http_limits.HeadersTooLarge:
            self._reply_and_close(b"431 Request Header Fields Too Large")
        except OSError:  # the client went away (reset, broken pipe): socketserver would print a traceback
            self.close_connection = True

    def handle_one_request(self) -> None:
        self._set_cookie = False
        self.reader.await_request(http_limits.REQUEST_DEADLINE, http_limits.HEADER_BYTES)
        self.server.awaiting(self.reader, True)
        super().handle_one_request()

    def finish(self) -> None:
        self.server.awaiting(self.reader, False)
        super().finish()

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers
        self.reader.request_read()  # the request line and headers are in (or refused): no more deadline
        self.server.awaiting(self.reader, False)
        if not parsed:
            return False
        lengths = self.headers.get_all("Content-Length") or []  # all of them: "0" then "90" is a body too
        if any(length.strip() != "0" for length in lengths) or "Transfer-Encoding" in self.headers:
            # No route reads a body, and one left unread on a kept-alive connection would be parsed as the
            # next request: a cross-site text/plain POST could smuggle a /control request, header and all.
            self.close_connection = True
        return True

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if self._set_cookie:
            cookie = f"{self.live.guard.cookie}={self.live.guard.token}; Path=/; HttpOnly; SameSite=Strict"
            self.send_header("Set-Cookie", cookie)
        super().end_headers()

    def _allowed(self) -> bool:
        """Host, Origin and token (http_guard); a refusal is answered here."""
        query = self.path.partition("?")[2]
        verdict = self.live.guard.check(self.command, query, self.headers, self.connection.getsockname()[0])
        if verdict.status == 0:
            self._set_cookie = verdict.set_cookie
            return True
        self.close_connection = True
        page = verdict.status == 401 and self.path.partition("?")[0] in ("/", "/index.html")
        if page:
            self._send(HTTPStatus.UNAUTHORIZED, "text/html; charset=utf-8", TOKEN_PAGE.encode())
        else:
            self._send(HTTPStatus(verdict.status), "text/plain", f"{verdict.reason}\n".encode())
        return False

    def do_GET(self) -> None:
        if not self._allowed():
            return
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", PAGE.encode())
        elif path == "/stats":
            self._send(HTTPStatus.OK, "application/json", json.dumps(self.live.figures()).encode())
        elif path == "/stream.mjpg":
            self._stream()
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found\n")

    def do_POST(self) -> None:
        if not self._allowed():
            return
        path, _, query = self.path.partition("?")
        action = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("action", "")
        if self.headers.get("X-Dae-Control") != "1":
            # Only the page's own script sends this header; a form or script on another site cannot
            # without a CORS preflight, which this server never grants.
            self._send(HTTPStatus.FORBIDDEN, "text/plain", b"missing X-Dae-Control header\n")
            return
        if path != "/control" or action not in CONTROL_KEYS:
            self._send(HTTPStatus.NOT_FOUND, "text/plain", b"unknown control\n")
            return
        self.live.commands.put(CONTROL_KEYS[action])
        self._send(HTTPStatus.OK, "application/json", json.dumps({"queued": action}).encode())

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Token realm="dae live"')
        self.end_headers()
        self.wfile.write(body)

    def _reply_and_close(self, status: bytes) -> None:
        """A bare response where the request could not be parsed (its version unknown)."""
        self.close_connection = True
        try:
            self.wfile.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            pass

    def _stream(self) -> None:
        hub = self.live.hub
        if not hub.try_join():
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, "text/plain", f"at most {MAX_VIEWERS} viewers\n".encode())
            return
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            seq = 0
            while True:
                jpeg, seq = hub.newer_than(seq)
                if jpeg is None:  # closed: the session ended
                    break
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                self.wfile.write(head.encode() + jpeg + b"\r\n")
        except OSError:  # the viewer went away (or stalled past the timeout)
            pass
        finally:
            hub.leave()
