"""The peers' converters, run as separate processes so that a crash or an abort inside their C++ stays one
line: pnnx (the `pnnx` wheel's binary, ONNX -> ncnn; its Python package imports torch, the binary does not)
and MNN's C++ tools (`_tools.mnnconvert`, `_tools.mnnquant`, from the `MNN` wheel).

Not MNN's `mnnconvert`/`mnnquant` console scripts: their Python wrappers post a usage log (machine id, model
id, arguments) to a remote service and pip-install a package for that at run time. The C++ tools under them do
the same work offline. The peers are for comparison only: `make install` brings the pinned wheels (the root
pyproject's `peers` group); the runtime and the Pi bundle never need them.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from dae_export.errors import ExportError

# The versions tested together (constraints.txt); `make install` installs them with --no-deps (pnnx's
# metadata asks for torch, which its binary does not use).
PINS = {"ncnn": "ncnn==1.0.20261020", "pnnx": "pnnx==20261020", "MNN": "MNN==3.6.1"}
IMPORT_NAMES = {"ncnn": ("ncnn",), "pnnx": ("pnnx",), "MNN": ("MNN", "_tools")}
TOOL_TIMEOUT_S = 600  # a conversion of these models takes seconds; a hung tool must not hang the export


def require(option: str, packages: tuple[str, ...]) -> None:
    """ExportError naming the missing packages and how to install them, before any work is done."""
    missing = [p for p in packages if any(find_spec(name) is None for name in IMPORT_NAMES[p])]
    if missing:
        pins = " ".join(PINS[p] for p in missing)
        raise ExportError(
            f"{option} needs {' and '.join(missing)}, not installed here: `make install` brings them, or "
            f"pip install --no-deps {pins}"
        )


def pnnx_binary() -> Path:
    spec = find_spec("pnnx")  # found, not imported: its package imports torch
    binary = Path(spec.origin).with_name("pnnx") if spec and spec.origin else None
    if binary is None or not binary.is_file():
        raise ExportError(f"the pnnx package has no pnnx program; reinstall it: pip install --no-deps {PINS['pnnx']}")
    return binary


def run_tool(what: str, cmd: list[str], cwd: Path | None = None, made: Path | None = None) -> None:
    """Run a converter; ExportError with its own reason on one line if it fails, or if it says it failed
    but exits 0 (MNN's tools print "[ERROR] ..." and return), or does not write `made`."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace", timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ExportError(f"{what} did not finish in {TOOL_TIMEOUT_S} s; export aborted") from None
    except OSError as exc:
        raise ExportError(f"{what} could not be started ({exc.strerror or exc})") from None
    lines = [line.strip() for line in (proc.stdout + "\n" + proc.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if "[ERROR]" in line or "Check failed" in line]
    if proc.returncode != 0 or errors or (made is not None and not made.is_file()):
        reason = errors[0] if errors else lines[-1] if lines else "no output"
        status = f"exit {proc.returncode}" if proc.returncode else "no model written"
        raise ExportError(f"{what} failed ({status}): {reason[:300]}")


def mnn_tool(tool: str, args: list[str]) -> list[str]:
    """The command that runs MNN's C++ `tool` (mnnconvert | mnnquant) with `args`, as its argv."""
    code = f"import sys, _tools; _tools.{tool}(['{tool}', *sys.argv[1:]])"
    return [sys.executable, "-c", code, *args]
