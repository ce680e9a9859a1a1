"""A line of `dae live`'s figures every minute when it runs without a terminal (under systemd, in the journal).

One line, `key=value` fields, always the same ones, so `journalctl -u dae-live | grep 'live status:'`
finds them and a script can split them:

    live status: fps=29.8 frames=1788 digits=9.6 latency_ms=33 viewers=1

fps and frames: frames processed in the last interval per second, and since the start; digits: the
mean digits found per frame in the interval; latency_ms: the mean time from a frame's read to its
view written or handed to the browser view, in the interval; viewers: browsers watching now (0
without --serve). A thread waits on an Event between lines: no polling, nothing per frame.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "live status:"
DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class Counters:
    """The session's running totals at one moment. The loop replaces its Counters once per frame
    (one assignment), so the log's thread never sees a frame counted without its digits."""

    frames: int = 0
    digits: int = 0  # digits found, summed over frames
    latency: float = 0.0  # seconds from read to output, summed over frames
    viewers: int = 0

    def after_frame(self, digits: int, latency: float) -> Counters:
        return Counters(self.frames + 1, self.digits + digits, self.latency + latency, self.viewers)


def status_line(before: Counters, now: Counters, seconds: float) -> str:
    """The figures of the interval from `before` to `now`, `seconds` long."""
    frames = now.frames - before.frames
    per_frame = 1 / frames if frames else 0.0
    fps = frames / seconds if seconds > 0 else 0.0
    digits = (now.digits - before.digits) * per_frame
    latency_ms = 1e3 * (now.latency - before.latency) * per_frame
    return (
        f"{PREFIX} fps={fps:.1f} frames={now.frames} digits={digits:.1f} "
        f"latency_ms={latency_ms:.0f} viewers={now.viewers}"
    )


class StatusLog:
    """Echo status_line every `seconds` while open; `read` gives the counters (called from the log's thread)."""

    def __init__(self, read: Callable[[], Counters], echo: Callable[[str], None], seconds: float = DEFAULT_SECONDS):
        if not seconds > 0:
            raise ValueError(f"the status interval must be positive, not {seconds}")
        self.read, self.echo, self.seconds = read, echo, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dae-live-status", daemon=True)

    def __enter__(self) -> StatusLog:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import time
        from contextlib import suppress

        before, since = self.read(), time.monotonic()
        while not self._stop.wait(self.seconds):
            now, at = self.read(), time.monotonic()
            with suppress(OSError):  # a log that went away (journald restarting) must not end the session
                self.echo(status_line(before, now, at - since))
            before, since = now, at
