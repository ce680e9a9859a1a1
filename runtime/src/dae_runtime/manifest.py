"""Export manifests: every file's sha256, checked before a model is trusted on a device."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from dae_runtime.bounded_json import JSONLimitError, loads_limited, read_limited

MANIFEST_FILE = "manifest.json"
MAX_MANIFEST_BYTES = 1 << 20  # a real manifest is about 4 KB; it is read into memory, so bounded


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
        data = read_limited(path, MAX_MANIFEST_BYTES)
    except FileNotFoundError:
        raise ManifestError(f"{path} is missing") from None
    except (OSError, JSONLimitError) as exc:
        raise ManifestError(f"{path} is unreadable ({exc})") from None
    return parse_manifest(data, path)


def parse_manifest(text: str | bytes, where: str | Path) -> dict:
    """The manifest in `text` (JSON within the size and depth limits), checked for a non-empty
    `files` map with a sha256 each."""
    try:
        manifest = loads_limited(text, MAX_MANIFEST_BYTES)
    except JSONLimitError as exc:
        raise ManifestError(f"{where} is unreadable ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict) or not manifest["files"]:
        raise ManifestError(f"{where} lists no files")
    files = manifest["files"]
    if not all(isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in files.values()):
        raise ManifestError(f"{where} is malformed: every file needs a sha256")
    return manifest


def manifest_folders(files: dict) -> set[str]:
    """The folders the manifest's files need (POSIX paths relative to the export, without '.')."""
    return {parent.as_posix() for name in files for parent in PurePosixPath(name).parents} - {"."}


def verify_manifest(folder: str | Path, allow_unlisted: bool = False) -> dict:
    """Check every file the manifest lists, and that no other file or folder is there (unless allowed).

    Returns the manifest or raises ManifestError naming the bad files.
    """
    folder = Path(folder)
    manifest = load_manifest(folder)
    bad = []
    for name, entry in manifest["files"].items():
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            bad.append(f"{name} (unsafe path)")
        elif not path.is_file():
            bad.append(f"{name} (missing)")
        elif sha256_file(path) != entry["sha256"]:
            bad.append(f"{name} (sha256 mismatch)")
    if not allow_unlisted:
        files: set[str] = set()
        folders: set[str] = set()
        for p in folder.rglob("*"):
            (folders if p.is_dir() and not p.is_symlink() else files).add(p.relative_to(folder).as_posix())
        listed = manifest["files"]
        bad += [f"{name} (not in the manifest)" for name in sorted(files - set(listed) - {MANIFEST_FILE})]
        bad += [f"{name}/ (a folder not in the manifest)" for name in sorted(folders - manifest_folders(listed))]
    if bad:
        more = f" and {len(bad) - 10:,} more" if len(bad) > 10 else ""
        raise ManifestError(f"{folder}: files do not match {MANIFEST_FILE}: {', '.join(bad[:10])}{more}")
    return manifest
