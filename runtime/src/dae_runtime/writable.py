"""Check, before a long run, that its result files can be written: a failure after the run loses it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def why_unwritable(path: str | os.PathLike) -> str | None:
    """None if a file can be created at `path` (its folder is made if missing), else the reason.

    Creates and removes a probe file beside `path`; `path` itself is not touched.
    """
    target = Path(path)
    if target.is_dir():
        return f"cannot write {target}: it is a folder"
    existing = next((p for p in target.parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return f"cannot write {target}: {existing} is a file, not a folder"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".probe", dir=target.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write {target}: {exc.strerror or exc}"
    return None


def first_unwritable(paths) -> str | None:
    """The reason for the first of `paths` (None entries are skipped) that cannot be written."""
    for path in paths:
        if path is not None and (reason := why_unwritable(path)):
            return reason
    return None
