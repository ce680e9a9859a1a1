"""`dae live --serve` against hostile or unlucky browsers: smuggled requests, resets, idle floods, IPv6."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from dae_runtime.live.serve import LiveServer


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


def test_ipv6_addresses_serve_and_ambiguous_ones_are_refused():
    import json
    import urllib.request

    from dae_runtime.live.serve import parse_address

    assert parse_address("[::1]:0") == ("::1", 0)
    for bad in ("::1", "fe80::1:4912", "²", "٣"):  # an unbracketed IPv6 address; digits that are not 0-9
        with pytest.raises(ValueError, match=r"is not \[HOST:\]PORT"):
            parse_address(bad)
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 here")
    with LiveServer("::1", 0, stats=lambda: {"frames": 1}) as server:
        assert server.url == f"http://[::1]:{server.port}/"
        with urllib.request.urlopen(server.url + "stats", timeout=10) as response:
            assert json.loads(response.read())["frames"] == 1


def test_clients_that_reset_print_nothing_on_the_console(capfd):
    # A tab closed mid-request, a phone leaving the Wi-Fi: socketserver would print a traceback for each.
    import struct
    import time

    def reset_after(port: int, data: bytes, wait: float) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(data)
            time.sleep(wait)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST

    with LiveServer("127.0.0.1", 0, stats=lambda: {"frames": 1}) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        reset_after(server.port, b"GET /sta", 0.2)
        for path in ("/stats", "/", "/stream.mjpg"):
            for _ in range(5):
                reset_after(server.port, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 0.0)
        time.sleep(0.5)
        assert b'"frames": 1' in raw_http(server.port, b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert "Traceback" not in capfd.readouterr().err


def test_idle_connections_beyond_the_bound_are_closed_at_once(monkeypatch, capfd):
    # One thread per connection: without a bound, a LAN client holding thousands of silent connections
    # would start thousands of threads (and print a traceback for each one the system refuses).
    import time

    from dae_runtime.live import serve

    monkeypatch.setattr(serve._Server, "max_connections", 4)
    with LiveServer("127.0.0.1", 0, stats=lambda: {"frames": 1}) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port), timeout=3) for _ in range(4)]
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", server.port), timeout=3) as extra:
            extra.sendall(b"GET /stats HTTP/1.1\r\n\r\n")
            started = time.monotonic()
            try:
                assert extra.recv(100) == b""  # closed, not left waiting for a free thread
            except ConnectionResetError:
                pass
            assert time.monotonic() - started < 2
        for s in idle:
            s.close()
        time.sleep(0.3)
        assert b'"frames": 1' in raw_http(server.port, b"GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert "Traceback" not in capfd.readouterr().err
