"""Export manifests: every file's sha256, checked before a model is trusted on a device."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from dae_runtime.bounded_json import JSONLimitError, loads_limited, read_limited

MANIFEST_FILE = "manifest.json"
MAX_MANIFEST_BYTES = 1 << 20  # a real manifest is about 4 KB; it is read into memory, so bounded
MAX_NAME_PARTS = 8  # dae export lists flat names; every folder of a name is kept (manifest_folders)
MAX_PART_BYTES = 255  # NAME_MAX of Linux filesystems


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
    for name in files:
        problem = _name_problem(name)
        if problem:
            shown = name if len(name) <= 60 else name[:60] + "..."
            raise ManifestError(f"{where} is malformed: the file name {shown!r} {problem}")
    return manifest


def _name_problem(name: str) -> str | None:
    """Why a listed name cannot be a file of an export, or None. Bounded so that the folders of all the
    names stay small: a 1 MiB name 'a/a/a/...' has 500,000 folders of up to 1 MiB each (quadratic)."""
    parts = name.split("/")
    if len(parts) > MAX_NAME_PARTS:
        return f"is {len(parts):,} folders deep (at most {MAX_NAME_PARTS})"
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_PART_BYTES for p in parts):
        return f"has a part over {MAX_PART_BYTES} bytes"
    return "holds a NUL character" if "\0" in name else None


def manifest_folders(files: dict) -> set[str]:
    """The folders the manifest's files need (POSIX paths relative to the export, without '.')."""
    return {parent.as_posix() for name in files for parent in PurePosixPath(name).parents} - {"."}


def _file_problem(folder: Path, name: str, sha256: str) -> str | None:
    if Path(name).is_absolute() or ".." in Path(name).parts:
        return f"{name} (unsafe path)"
    try:
        if not (folder / name).is_file():
            return f"{name} (missing)"
        return f"{name} (sha256 mismatch)" if sha256_file(folder / name) != sha256 else None
    except OSError as exc:  # a name too long for the folder it is in, an unreadable file
        return f"{name} (cannot be read: {exc.strerror or exc})"


def verify_manifest(folder: str | Path, allow_unlisted: bool = False, shown: str | None = None) -> dict:
    """Check every file the manifest lists, and that no other file or folder is there (unless allowed).

    Returns the manifest or raises ManifestError naming the bad files (and `shown` instead of `folder`).
    """
    folder = Path(folder)
    manifest = load_manifest(folder)
    checked = (_file_problem(folder, name, entry["sha256"]) for name, entry in manifest["files"].items())
    bad = [problem for problem in checked if problem]
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
        raise ManifestError(f"{shown or folder}: files do not match {MANIFEST_FILE}: {', '.join(bad[:10])}{more}")
    return manifest
