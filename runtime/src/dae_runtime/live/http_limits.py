"""What one client may cost `dae live --serve`: a connection slot, a bounded time and size to send a request.

ThreadingHTTPServer starts a thread per connection and its socket timeout restarts with every byte, so
32 connections sending one header line every few seconds held every slot (slowloris). Here:
- at most `max_connections` connections; beyond that a new one replaces the connection that has been
  waiting longest for its request (idle keep-alive or slow) once that has waited `evict_after` seconds,
  or is closed at once;
- a deadline for a request's whole line and headers (REQUEST_DEADLINE from the moment it is awaited)
  and a size budget (HEADER_BYTES), however the bytes trickle in; past them the connection closes.
No route reads a request body (serve.py closes the connection after one), so the headers are the request.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from http.server import ThreadingHTTPServer

from dae_runtime.live.frame_hub import MAX_VIEWERS

REQUEST_DEADLINE = 10.0  # seconds for a request line and its headers, from when the server waits for it
HEADER_BYTES = 64 * 1024  # a browser sends 1-2 KiB; nginx's default limit is 32 KiB
EVICT_AFTER = 1.0  # seconds a connection must have waited for its request before a new one may replace it


class HeadersTooLarge(OSError):
    """More than HEADER_BYTES before the end of the headers."""


class RequestReader(io.RawIOBase):
    """The connection as the handler reads it: while a request is awaited, every read gets only the time left
    until its deadline and counts against the size budget; after the headers, the plain socket timeout."""

    def __init__(self, sock: socket.socket, timeout: float | None):
        self.sock, self.timeout = sock, timeout
        self.deadline: float | None = None
        self.budget = 0
        self.evicted = False

    def readable(self) -> bool:
        return True

    def await_request(self, seconds: float, budget: int) -> None:
        self.deadline, self.budget = time.monotonic() + seconds, budget

    def request_read(self) -> None:
        self.deadline = None
        self.sock.settimeout(self.timeout)  # for the response (a viewer that stops reading)

    def evict(self) -> None:
        self.evicted = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the handler's pending read
        except OSError:
            pass

    def readinto(self, buffer) -> int:
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request took longer than its deadline")
            self.sock.settimeout(left)
        count = self.sock.recv_into(buffer)
        if self.evicted:
            raise ConnectionAbortedError("replaced by a newer connection")
        if self.deadline is not None:
            self.budget -= count
            if self.budget < 0:
                raise HeadersTooLarge("the request headers are too large")
        return count


class BoundedServer(ThreadingHTTPServer):
    """One thread per connection, at most `max_connections` at once (see the module's docstring)."""

    daemon_threads = True
    max_connections = 4 * MAX_VIEWERS  # viewers, their pages' /stats polls and button presses
    evict_after = EVICT_AFTER

    def server_activate(self) -> None:
        self._connections = threading.BoundedSemaphore(self.max_connections)
        self._waiting: dict[RequestReader, float] = {}  # connections awaiting a request, since when
        self._lock = threading.Lock()
        super().server_activate()

    def awaiting(self, reader: RequestReader, waits: bool) -> None:
        with self._lock:
            if waits:
                self._waiting[reader] = time.monotonic()
            else:
                self._waiting.pop(reader, None)

    def process_request(self, request, client_address) -> None:
        if not (self._connections.acquire(blocking=False) or self._replace_one()):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._connections.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def _replace_one(self) -> bool:
        """Close the connection that has waited longest for its request, if that is over evict_after; its slot."""
        with self._lock:
            since = time.monotonic() - self.evict_after
            oldest = min(self._waiting.items(), key=lambda item: item[1], default=None)
            if oldest is None or oldest[1] > since:
                return False
            del self._waiting[oldest[0]]
        oldest[0].evict()
        return self._connections.acquire(timeout=2.0)


class BoundedServer6(BoundedServer):
    address_family = socket.AF_INET6
