"""Export manifests: every file's sha256, checked before a model is trusted on a device."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

MANIFEST_FILE = "manifest.json"


class ManifestError(Exception):
    """A bundle or export folder whose files do not match its manifest."""


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"{path} is missing") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path} is unreadable ({exc})") from exc
    if not isinstance(manifest.get("files"), dict):
        raise ManifestError(f"{path} lists no files")
    return manifest


def verify_manifest(folder: str | Path) -> dict:
    """Check every file the manifest lists; return the manifest or raise ManifestError naming the bad files."""
    folder = Path(folder)
    manifest = load_manifest(folder)
    bad = []
    for name, entry in manifest["files"].items():
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            bad.append(f"{name} (unsafe path)")
        elif not path.is_file():
            bad.append(f"{name} (missing)")
        elif sha256_file(path) != entry.get("sha256"):
            bad.append(f"{name} (sha256 mismatch)")
    if bad:
        raise ManifestError(f"{folder}: files do not match {MANIFEST_FILE}: {', '.join(bad)}")
    return manifest
