"""Fault-suite tools: the real `dae` command in a subprocess, a small real disk, kill -9 at a rename.

Every fault here is real: a 3 MB tmpfs that fills up (or, where mounting is not allowed, a file-size
limit that makes the output's writes fail the same way), and SIGKILL delivered by strace-timed
signals while a command renames its outputs into place.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DAE = Path(sys.executable).with_name("dae")
RENAMES = "rename,renameat,renameat2"
_RENAME_CALL = re.compile(r"\brename(at2?)?\(")


def dae(*args, preexec_fn=None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `dae ARGS` as a user would; returns the finished process (text stdout/stderr)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [str(DAE), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec_fn,
        env=env,
    )


def one_line_failure(result: subprocess.CompletedProcess, code: int = 1) -> str:
    """The command failed with `code`, said why without a traceback or a flood of library warnings."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output
    assert "Traceback" not in output and "WARN" not in output and "[mp4" not in output, output
    assert "libpng" not in output, output  # libpng prints its own "libpng error: Write Error" on a full disk
    return output


def fill_disk(folder: Path, leave: int) -> None:
    """Fill the filesystem holding `folder` until `leave` bytes are free."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with open(folder / "filler", "wb") as f:
        f.write(b"\0" * max(free - leave, 0))


def file_size_limit(limit: int):
    """preexec_fn: the child cannot grow any file past `limit` bytes (its writes fail with EFBIG,
    as they fail with ENOSPC on a full disk); used where a tmpfs cannot be mounted."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def needs_strace():
    return pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (.ci/run installs it)")


def kill_at_rename(cmd: list, n: int, when: str, log: Path, timeout: float = 900) -> bool:
    """Run `cmd` under strace and kill -9 it (and strace) just before (`when="before"`) or just after
    (`"after"`) its n-th rename: strace holds that one call for a minute while we kill.
    Returns False if the command finished without reaching an n-th rename."""
    delay = "delay_enter" if when == "before" else "delay_exit"
    # --seccomp-bpf: only the renames stop the traced process; ptrace stops at every other system call too
    # doubled a training run's time (issue 27: test_train_kill 90 s -> 43 s, 2026-12-06, AMD EPYC, loaded).
    inject = f"inject={RENAMES}:{delay}=60000000:when={n}"
    proc = subprocess.Popen(
        ["strace", "-f", "--seccomp-bpf", "-o", str(log), "-e", f"trace={RENAMES}", "-e", inject, *map(str, cmd)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            text = log.read_text() if log.exists() else ""
            calls = sum(1 for line in text.splitlines() if _RENAME_CALL.search(line))
            if calls >= n and (when == "before" or "(DELAYED)" in text):
                if when == "before":
                    time.sleep(0.5)  # it is held at the call's entry; the rename has not run
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            if time.monotonic() > deadline:
                raise TimeoutError(f"{cmd} did not reach rename {n} in {timeout} s")
            time.sleep(0.05)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
