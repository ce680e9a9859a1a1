"""Resumable checkpoints as one atomic unit: the last model and its state are published together.

checkpoints/epoch-NNNN/ holds last.keras and state.json of epoch NNNN. Both are written into a
hidden folder first, flushed, and the folder is renamed to epoch-NNNN in one step; older epochs
are removed only after that. A kill -9 at any moment leaves the newest complete epoch-NNNN, whose
model and state always describe the same epoch, so --resume never trains an epoch twice.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from dae_runtime.atomic import write_json

MODEL_NAME = "last.keras"
STATE_NAME = "state.json"
_EPOCH = re.compile(r"epoch-(\d+)")


def latest(folder: Path) -> Path:
    """The newest complete checkpoint folder in `folder` (checkpoints/). Runs made before this layout
    kept last.keras and state.json in checkpoints/ itself: that folder is returned for them."""
    epochs = [(int(m.group(1)), p) for p in _children(folder) if (m := _EPOCH.fullmatch(p.name)) and p.is_dir()]
    return max(epochs)[1] if epochs else folder


def save(folder: Path, epoch: int, model, state: dict) -> Path:
    """Write epoch `epoch`'s model and state as one unit; returns its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".epoch-{epoch:04d}.", suffix=".tmp", dir=folder))
    try:
        model.save(tmp / MODEL_NAME)
        write_json(tmp / STATE_NAME, state)
        _fsync(tmp / MODEL_NAME)
        _fsync(tmp)
        final = folder / f"epoch-{epoch:04d}"
        if final.exists():  # a run restarted over its own later epochs: this one replaces it
            shutil.rmtree(final)
        os.rename(tmp, final)
        _fsync(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in _children(folder):
        if old != final and (old.name.startswith(".epoch-") or _EPOCH.fullmatch(old.name)):
            shutil.rmtree(old, ignore_errors=True)
    for legacy in (folder / MODEL_NAME, folder / STATE_NAME):
        legacy.unlink(missing_ok=True)
    return final


def clear(folder: Path) -> None:
    """Remove every checkpoint (a fresh run, not a resumed one, starts here)."""
    for old in _children(folder):
        if old.name.startswith(".epoch-") or _EPOCH.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)
    for legacy in (folder / MODEL_NAME, folder / STATE_NAME):
        legacy.unlink(missing_ok=True)


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename is still atomic
    finally:
        os.close(fd)
