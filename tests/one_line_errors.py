"""The fault suite's yardstick: run `dae` as a user does and hold it to one line of error."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Lines a command prints on stderr on its way (progress bars, export steps "[1/2] ..."), not errors.
PROGRESS = ("Denoising", "Timing", "Measuring", "Engines:")
STEP = re.compile(r"^\[\d+/\d+\] ")
# What click adds around a usage error (exit code 2).
USAGE = ("Usage:", "Try '")


@dataclass
class Run:
    code: int
    out: str
    err: str

    def error_lines(self) -> list[str]:
        return [
            line
            for line in self.err.splitlines()
            if line.strip()
            and not line.startswith(PROGRESS)
            and not STEP.match(line)
            and not (self.code == 2 and line.startswith(USAGE))
        ]


def run_dae(*args: str | os.PathLike, cwd: Path | None = None, env: dict | None = None, timeout: float = 600) -> Run:
    """`dae ARGS` in a subprocess: what a user sees, native libraries' output included."""
    dae = Path(sys.executable).with_name("dae")
    proc = subprocess.run(
        [str(dae), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line_error(run: Run, *fragments: str, code: int | tuple[int, ...] = (1, 2)) -> str:
    """Exit code 1 or 2, exactly one line of error on stderr, no traceback; returns that line."""
    codes = (code,) if isinstance(code, int) else code
    assert run.code in codes, f"exit {run.code}\n{run.err}"
    assert "Traceback" not in run.err + run.out
    lines = run.error_lines()
    assert len(lines) == 1, "\n".join(lines)
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]
