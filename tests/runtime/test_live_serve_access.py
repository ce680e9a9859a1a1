"""Whom `dae live --serve` answers (issue 25, 2): its own Host, its own page's Origin, the token holder.

Every case is a raw request with exactly the headers a browser, curl or an attacker's page would send.
"""

from __future__ import annotations

import socket
from email.message import Message

import numpy as np
import pytest
from live_helpers import ask, raw_http

from dae_runtime.live.http_guard import Guard, choose_token, split_host
from dae_runtime.live.serve import LiveServer

TOKEN = "k7Qm2-xYz_0123456789abcd"


@pytest.fixture(scope="module")
def server():
    with LiveServer("127.0.0.1", 0, stats=lambda: {"frames": 1}) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        yield server


@pytest.fixture(scope="module")
def locked():
    """A server with a token (as on the LAN, where one is always set), on 127.0.0.1 as every test server."""
    with LiveServer("127.0.0.1", 0, token=TOKEN, stats=lambda: {"frames": 1}) as server:
        server.publish(np.zeros((8, 8, 3), np.uint8), 0.0)
        yield server


@pytest.mark.parametrize(
    "host, status",
    [
        ("127.0.0.1:{port}", 200),
        ("localhost:{port}", 200),
        ("LocalHost:{port}", 200),
        ("localhost.:{port}", 200),
        ("attacker.example:{port}", 403),  # DNS rebinding: the attacker's name, pointed at 127.0.0.1
        ("attacker.example", 403),
        ("127.0.0.1:1", 403),  # another port
        ("127.0.0.1", 403),  # no port: 80
        ("127.0.0.2:{port}", 403),  # not the address the connection came to
        ("127.1:{port}", 403),  # a shorthand no browser sends
        ("2130706433:{port}", 403),
        ("[::1]:{port}", 403),
        (socket.gethostname() + ":{port}", 403),  # the machine's name is not served on loopback
        ("localhost:{port}:{port}", 403),
        ("localhost:+{port}", 403),
        ("", 403),
        (None, 400),
    ],
)
def test_only_requests_to_its_own_host_are_answered(server, host, status):
    code, _, body = ask(server.port, "/stats", Host=host if host is None else host.format(port=server.port))
    assert code == status, body
    assert (b'"frames"' in body) == (status == 200)


def test_two_host_headers_are_a_bad_request(server):
    own = f"Host: 127.0.0.1:{server.port}\r\n"
    answer = raw_http(server.port, f"GET /stats HTTP/1.1\r\n{own}Host: attacker.example\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 400"), answer[:100]


@pytest.mark.parametrize("path", ["/", "/stream.mjpg", "/nothing"])
def test_a_foreign_host_gets_nothing_from_any_route(server, path):
    code, _, body = ask(server.port, path, Host=f"attacker.example:{server.port}")
    assert code == 403 and b"own address" in body


def test_the_issue_reproducer_cannot_press_a_button(server):
    """curl -X POST -H 'Host: attacker.example:4912' -H 'Origin: ...' -H 'X-Dae-Control: 1' .../control"""
    evil = f"attacker.example:{server.port}"
    code, _, _ = ask(server.port, "/control?action=mode", "POST", Host=evil, Origin=f"http://{evil}", X_Dae_Control="1")
    assert code == 403 and server.pending_keys() == []


@pytest.mark.parametrize(
    "origin, status",
    [
        (None, 200),  # curl, scripts: no Origin
        ("http://127.0.0.1:{port}", 200),  # the page's own button
        ("http://attacker.example:{port}", 403),
        ("http://127.0.0.1:1", 403),  # another server on this machine
        ("https://127.0.0.1:{port}", 403),
        ("http://localhost:{port}", 403),  # Host said 127.0.0.1
        ("null", 403),  # a sandboxed frame, a file:// page
    ],
)
def test_a_button_press_needs_its_own_origin_or_none(server, origin, status):
    origin = None if origin is None else origin.format(port=server.port)
    code, _, _ = ask(server.port, "/control?action=noise_up", "POST", Origin=origin, X_Dae_Control="1")
    assert code == status
    assert server.pending_keys() == ([ord("+")] if status == 200 else [])


@pytest.mark.parametrize(
    "site, mode, dest, path, status",
    [
        ("cross-site", "no-cors", "image", "/stream.mjpg", 403),  # <img> on another site
        ("same-site", "no-cors", "image", "/stream.mjpg", 403),  # another port of this machine
        ("cross-site", "navigate", "iframe", "/", 403),  # framed by another site (clickjacking)
        ("cross-site", "cors", "empty", "/stats", 403),
        ("cross-site", "navigate", "document", "/", 200),  # a link to the page, opened in a tab
        ("same-origin", "no-cors", "image", "/stream.mjpg", 200),  # the page's own <img>
        ("none", "navigate", "document", "/", 200),  # typed in or a bookmark
    ],
)
def test_browsers_marking_a_request_as_from_another_site_are_refused(server, site, mode, dest, path, status):
    code, _, _ = ask(server.port, path, Sec_Fetch_Site=site, Sec_Fetch_Mode=mode, Sec_Fetch_Dest=dest)
    assert code == status


def test_ipv6_literal_hosts_are_answered_on_ipv6():
    try:
        socket.socket(socket.AF_INET6).close()
        server = LiveServer("::1", 0, stats=lambda: {"frames": 1})
    except OSError:
        pytest.skip("no IPv6 here")
    with server:
        assert ask(server.port, host="::1")[0] == 200  # Host: [::1]:PORT
        assert ask(server.port, host="::1", Host=f"localhost:{server.port}")[0] == 200
        port = server.port
        refused = [f"[::2]:{port}", f"::1:{port}", "[::1]", f"[::1:{port}", f"[::1]x{port}"]
        refused.append(f"[::ffff:127.0.0.1]:{port}")
        for host in refused:
            assert ask(server.port, host="::1", Host=host)[0] == 403, host


@pytest.mark.parametrize("path", ["/", "/stats", "/stream.mjpg", "/nothing"])
@pytest.mark.parametrize(
    "query, cookie, authorization",
    [
        ("", None, None),  # none
        (f"?token={TOKEN[:-1]}", None, None),  # partial
        (f"?token={TOKEN}x", None, None),  # longer
        (f"?token={TOKEN.upper()}", None, None),
        ("?token=", None, None),
        (f"?tok={TOKEN}", None, None),
        ("", "dae_live_token_{port}=wrong", None),
        ("", f"dae_live_token_1={TOKEN}", None),  # another server's cookie
        ("", None, f"Basic {TOKEN}"),
        ("", None, "token wrong"),
    ],
)
def test_without_the_token_nothing_is_served(locked, path, query, cookie, authorization):
    cookie = cookie and cookie.format(port=locked.port)
    code, headers, body = ask(locked.port, path + query, Cookie=cookie, Authorization=authorization)
    assert code == 401 and "set-cookie" not in headers and b"frames" not in body
    assert b"?token=" in body  # says where the token is: the address dae live printed
    if path == "/":
        assert b'<form action="/" method="get">' in body and TOKEN.encode() not in body


def test_the_token_in_the_url_is_kept_in_an_httponly_strict_cookie(locked):
    code, headers, body = ask(locked.port, f"/?token={TOKEN}")
    assert code == 200 and b'<img id="view"' in body
    cookie = f"set-cookie: dae_live_token_{locked.port}={TOKEN}; path=/; httponly; samesite=strict".lower()
    assert cookie in headers.splitlines()
    for path in ("/", "/stats", "/stream.mjpg"):  # the page's own requests carry it
        code, headers, _ = ask(locked.port, path, Cookie=f"other=1; dae_live_token_{locked.port}={TOKEN}")
        assert code == 200 and "set-cookie" not in headers, path


def test_the_buttons_need_the_token_too_and_take_it_from_the_cookie(locked):
    press = {"X_Dae_Control": "1", "Origin": f"http://127.0.0.1:{locked.port}"}
    assert ask(locked.port, "/control?action=mode", "POST", **press)[0] == 401
    assert locked.pending_keys() == []
    cookie = f"dae_live_token_{locked.port}={TOKEN}"
    assert ask(locked.port, "/control?action=mode", "POST", Cookie=cookie, **press)[0] == 200
    assert locked.pending_keys() == [ord("f")]
    # With the token, a foreign Origin or Host is still refused.
    for evil in ({**press, "Origin": "http://attacker.example"}, {**press, "Host": "attacker.example"}):
        assert ask(locked.port, "/control?action=mode", "POST", Cookie=cookie, **evil)[0] == 403
    assert locked.pending_keys() == []


def test_scripts_may_send_the_token_in_a_header(locked):
    for scheme in ("token", "Bearer"):
        assert ask(locked.port, "/stats", Authorization=f"{scheme} {TOKEN}")[0] == 200


def test_the_printed_address_carries_the_token(locked, server):
    assert locked.url == f"http://127.0.0.1:{locked.port}/?token={TOKEN}"
    assert server.url == f"http://127.0.0.1:{server.port}/"  # loopback: no token unless one is given


def headers_of(**fields: str) -> Message:
    message = Message()
    for name, value in fields.items():
        message[name] = value
    return message


def test_on_the_lan_a_token_is_always_made_unless_no_token():
    made = {choose_token(host, None, False) for host in ("0.0.0.0", "::", "192.168.1.20", "0.0.0.0")}
    assert len(made) == 4 and all(len(t) == 32 for t in made)  # random: new at every start
    assert choose_token("0.0.0.0", TOKEN, False) == TOKEN and choose_token("0.0.0.0", None, True) is None
    assert choose_token("127.0.0.1", None, False) is None and choose_token("::1", TOKEN, False) == TOKEN
    assert choose_token("127.0.0.1", "", False) is None and len(choose_token("0.0.0.0", "", False) or "") == 32


def test_on_the_lan_the_machine_names_are_its_hosts(monkeypatch):
    # Servers in tests listen on 127.0.0.1 only: the LAN rules are checked on the guard itself.
    monkeypatch.setattr(socket, "gethostname", lambda: "raspberrypi")
    guard = Guard.for_server("0.0.0.0", 4912, "t" * 20)
    lan = "192.168.1.20"  # the address a LAN client connected to
    for host in ("192.168.1.20:4912", "raspberrypi:4912", "raspberrypi.local:4912", "RaspberryPi.local.:4912"):
        assert guard.check("GET", "token=" + "t" * 20, headers_of(Host=host), lan).status == 0, host
        assert guard.check("GET", "", headers_of(Host=host), lan).status == 401, host
    for host in ("192.168.1.21:4912", "raspberrypi.attacker.example:4912", "raspberrypi.lan:4912", "10.0.0.1:4912"):
        assert guard.check("GET", "token=" + "t" * 20, headers_of(Host=host), lan).status == 403, host
    mapped = "::ffff:192.168.1.20"  # an IPv4 client of a server bound to ::
    assert guard.check("GET", "token=" + "t" * 20, headers_of(Host="192.168.1.20:4912"), mapped).status == 0


def test_host_values_are_split_like_a_browser_writes_them():
    assert split_host("[::1]:4912") == ("::1", 4912)
    assert split_host("Pi.Local:80") == ("pi.local", 80)
    assert split_host("pi") == ("pi", None)
    for bad in ("[::1", "[pi]:80", "::1", "pi:", "pi:٣", "pi:123456", ":80", "[::1]:"):
        assert split_host(bad) is None, bad
