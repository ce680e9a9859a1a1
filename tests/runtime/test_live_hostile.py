"""`dae live` against hostile or unlucky use: odd arguments, odd clients, sources that fail mid-session."""

from __future__ import annotations

import socket

import numpy as np

from dae_runtime.serve import LiveServer


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


def test_a_post_body_cannot_smuggle_a_control_request_past_the_header_check():
    # A cross-site page can POST any text/plain body without a preflight; if the server left the body
    # unread on a kept-alive connection it would run it as the next request, header and all.
    inner = b"POST /control?action=mode HTTP/1.1\r\nHost: x\r\nX-Dae-Control: 1\r\nContent-Length: 0\r\n\r\n"
    outer = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(inner)
    with LiveServer("127.0.0.1", 0, stats=dict) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        answer = raw_http(server.port, outer + inner)
        assert answer.startswith(b"HTTP/1.1 403"), answer[:80]
        assert b"queued" not in answer and server.pending_keys() == []
        # The page's own button press still works.
        own = b"POST /control?action=mode HTTP/1.1\r\nHost: x\r\nX-Dae-Control: 1\r\nConnection: close\r\n\r\n"
        assert b'{"queued": "mode"}' in raw_http(server.port, own)
        assert server.pending_keys() == [ord("f")]
