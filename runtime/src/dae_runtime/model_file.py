"""Checks on a model file before onnxruntime opens it: what the path is, and its manifest's word on it."""

from __future__ import annotations

import stat
from pathlib import Path

from dae_runtime.manifest import MANIFEST_FILE, ManifestError, load_manifest, sha256_file


def model_file_problem(path: Path) -> str | None:
    """Why `path` is not a model file (missing, a folder, a device, a pipe), or None for a regular file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"model file {path} does not exist"
    except OSError as exc:
        return f"model file {path} cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        onnx = sorted(p.name for p in path.glob("*.onnx"))[:3]
        return f"{path} is a folder, not a model file: give the .onnx file in it" + (
            f" ({', '.join(onnx)})" if onnx else ""
        )
    if not stat.S_ISREG(mode):
        kind = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a pipe or a socket"
        return f"{path} is {kind}, not a model file: give an .onnx file"
    return None


def manifest_problem(path: Path) -> str | None:
    """If the model sits in an export folder or bundle, why its manifest refuses it (None: it does not).

    A manifest that is there but cannot be read (garbage, truncated, too large or deep, not ours)
    refuses the model: otherwise writing junk into manifest.json would switch the tamper check off.
    """
    manifest_path = path.parent / MANIFEST_FILE
    if not manifest_path.exists():
        return None
    try:
        files = load_manifest(path.parent)["files"]
    except ManifestError as exc:
        return f"refusing {path}: its {exc} (cannot check the model against it)"
    if path.name not in files:
        return None  # a valid manifest that does not list this model says nothing about it
    if sha256_file(path) != files[path.name]["sha256"]:
        return f"{path} does not match the sha256 in {manifest_path}: refusing a modified model"
    return None
