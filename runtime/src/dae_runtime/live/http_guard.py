"""Whom `dae live --serve` answers: requests to its own Host, from its own page, with the token when one is set.

- Host must name this server and its port (no port: 80): the address the connection came in on (an IP
  literal), `localhost`, or, when it is bound to anything but loopback, the machine's host name or
  NAME.local. A page on another site that points its own name at this machine (DNS rebinding) sends its
  own name: 403. A request with no Host, or two, is malformed: 400.
- Origin, when a browser sends one, must be this server exactly (http:// + the Host): 403 otherwise, so
  another site's script cannot press the buttons. Sec-Fetch-Site from another site is refused (403)
  except a link that opens the page in a tab: no other site can embed the stream or the page.
- The token, when set (always on the LAN unless --no-token): from the cookie, `?token=` or
  `Authorization: token T`, compared in constant time; 401 without it. A valid `?token=` sets the cookie
  (HttpOnly, SameSite=Strict), as Jupyter does, so the page's own requests carry it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from email.message import Message
from urllib.parse import unquote


def ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address in `text` (IPv4-mapped IPv6 as IPv4, no %zone), else None."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback(host: str) -> bool:
    address = ip_literal(host)
    return host.lower() == "localhost" if address is None else address.is_loopback


def choose_token(bound_host: str, token: str | None, no_token: bool) -> str | None:
    """The token a server bound to `bound_host` requires: the given one, else on the LAN a new random one."""
    if no_token:
        return None
    if not token and not is_loopback(bound_host):  # an empty token is no token
        return secrets.token_urlsafe(24)  # 192 bits, as Jupyter's
    return token or None


def split_host(value: str) -> tuple[str, int | None] | None:
    """'name:port', '[v6]:port' or 'name' -> (lowercase name, port or None); None when malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or ":" not in name or ip_literal(name) is None:
            return None
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = value.partition(":")
        port = port_text if colon else None
    if port is not None and not (port.isascii() and port.isdigit() and len(port) <= 5):
        return None
    name = name[:-1] if name.endswith(".") else name  # 'localhost.' is the same name, fully qualified
    return (name, None if port is None else int(port)) if name else None


def machine_names() -> frozenset[str]:
    """The names the LAN knows this machine by: its host name and NAME.local (mDNS)."""
    host = socket.gethostname().lower()
    short = host.split(".", 1)[0]
    return frozenset({host, short, f"{short}.local"})


def same_secret(given: str, token: str) -> bool:
    """Constant time, length included (both sides are hashed first)."""
    digest = [hashlib.sha256(s.encode("utf-8", "surrogatepass")).digest() for s in (given, token)]
    return hmac.compare_digest(digest[0], digest[1])


@dataclass(frozen=True)
class Verdict:
    status: int = 0  # 0: answer the request; else the HTTP status to refuse it with
    reason: str = ""
    set_cookie: bool = False  # the token came in the URL: keep it in the cookie


@dataclass(frozen=True)
class Guard:
    port: int
    names: frozenset[str]  # host names accepted besides the connection's own IP address
    token: str | None = None

    @classmethod
    def for_server(cls, host: str, port: int, token: str | None) -> Guard:
        names = {"localhost"} if is_loopback(host) else {"localhost", *machine_names()}
        return cls(port, frozenset(names), token)

    @property
    def cookie(self) -> str:
        return f"dae_live_token_{self.port}"  # cookies ignore ports: one name per port keeps two servers apart

    def check(self, method: str, query: str, headers: Message, local_address: str) -> Verdict:
        hosts = headers.get_all("Host") or []
        if len(hosts) != 1:
            return Verdict(400, "a request needs exactly one Host header")
        if not self.own_host(hosts[0], local_address):
            return Verdict(403, "this server answers only requests to its own address (Host)")
        origins = headers.get_all("Origin") or []  # a browser sends one; the first of two is not the word
        if any(o.strip().lower() != f"http://{hosts[0].strip().lower()}" for o in origins):
            return Verdict(403, "a request from another web site (Origin)")
        site, mode, dest = (headers.get(h, "") for h in ("Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest"))
        opened_by_link = method == "GET" and mode == "navigate" and dest in ("document", "")
        if site in ("cross-site", "same-site") and not opened_by_link:
            return Verdict(403, "a request from another web site (Sec-Fetch-Site)")
        return self.check_token(query, headers)

    def own_host(self, value: str, local_address: str) -> bool:
        parsed = split_host(value)
        if parsed is None or (parsed[1] or 80) != self.port:
            return False
        name = parsed[0]
        address = ip_literal(name)
        return name in self.names if address is None else address == ip_literal(local_address)

    def check_token(self, query: str, headers: Message) -> Verdict:
        if self.token is None:
            return Verdict()
        token, cookies = self.token, self._cookie_tokens(headers)
        if any(same_secret(t, token) for t in cookies):
            return Verdict()
        in_url = [unquote(v) for k, _, v in (p.partition("=") for p in query.split("&")) if k == "token"]
        if any(same_secret(t, token) for t in in_url):
            return Verdict(set_cookie=True)
        scheme, _, given = headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() in ("token", "bearer") and same_secret(given.strip(), token):
            return Verdict()
        why = "a wrong or old access token" if in_url or given or cookies else "no access token"
        return Verdict(401, f"{why}: open the address dae live printed (http://HOST:PORT/?token=...)")

    def _cookie_tokens(self, headers: Message) -> list[str]:
        found = []
        for header in headers.get_all("Cookie") or []:
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                if name == self.cookie:
                    found.append(value.strip().strip('"'))
        return found[:4]
