"""Headless Chromium for the browser-view tests: a screenshot, or a page driven over the DevTools pipe.

`--remote-debugging-pipe` takes DevTools commands as NUL-terminated JSON on fd 3 and answers on fd 4:
no port, no websocket package. Enough to open a page, run its own script, and read values back.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,700",
    "--hide-scrollbars",
]


def chromium_or_skip() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("DAE_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (CI installs it with apt)")
        pytest.skip("chromium is not installed (apt install chromium); CI runs this test")
    return chromium


def screenshot(url: str, shot: str) -> None:
    """The page at `url` after 5 s (the MJPEG stream never finishes loading), as a PNG in `shot`."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium_or_skip(), *FLAGS, f"--user-data-dir={profile}", "--timeout=5000", f"--screenshot={shot}", url]
        subprocess.run(cmd, capture_output=True, timeout=120, check=False)


def high_fds(pair: tuple[int, int]) -> tuple[int, int]:
    """The pipe's ends moved to fds >= 10, so that the shell's 3<& and 4>& cannot overwrite one with the other."""
    moved = tuple(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in pair)
    for fd in pair:
        os.close(fd)
    return moved[0], moved[1]


class DevToolsBrowser:
    """One headless Chromium; `open(url)` gives a page session, `evaluate` runs JavaScript in it."""

    def __init__(self) -> None:
        self.profile = tempfile.TemporaryDirectory()
        commands_read, self.commands = high_fds(os.pipe())
        self.answers, answers_write = high_fds(os.pipe())
        redirect = f'exec "$@" 3<&{commands_read} 4>&{answers_write}'  # fd 3 and 4 (bash: dash takes one digit)
        cmd = ["bash", "-c", redirect, "bash", chromium_or_skip(), *FLAGS, f"--user-data-dir={self.profile.name}"]
        cmd += ["--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(
            cmd, pass_fds=(commands_read, answers_write), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        os.close(commands_read)
        os.close(answers_write)
        self.buffer, self.last_id = b"", 0

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._next()
            if answer.get("id") == self.last_id:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    def _next(self) -> dict:
        while b"\0" not in self.buffer:
            assert select.select([self.answers], [], [], 60)[0], "chromium did not answer within 60 s"
            chunk = os.read(self.answers, 1 << 16)
            assert chunk, "chromium went away"
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def open(self, url: str) -> str:
        target = self.send("Target.createTarget", url=url)["targetId"]
        return self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", session, expression=expression, awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, timeout: float = 20.0):
        """The value of `expression` once it is truthy (None after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(session, expression)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return value

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.commands)
        os.close(self.answers)
        self.profile.cleanup()
