"""Unpack and check a Raspberry Pi bundle (rpi-bundle.tar.gz) written by `dae export --target rpi`."""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from dae_runtime.manifest import ManifestError, verify_manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only plain files and folders below the destination: no links, devices, absolute or '..' paths."""
    members = tar.getmembers()
    for m in members:
        path = PurePosixPath(m.name)
        if path.is_absolute() or ".." in path.parts or not (m.isfile() or m.isdir()):
            raise ManifestError(f"refusing bundle member {m.name!r}: only plain files below one folder are allowed")
    return members


def extract_bundle(bundle: str | Path, dest: str | Path) -> Path:
    """Extract into dest (which must not hold the bundle's folder yet); return the checked folder.

    The archive is unpacked into a hidden temporary folder in dest and moved into place only
    after every file matched the manifest: a rejected bundle leaves nothing behind.
    """
    dest = Path(dest)
    try:
        with tarfile.open(bundle, "r:gz") as tar:
            members = _safe_members(tar)
            tops = {PurePosixPath(m.name).parts[0] for m in members}
            if len(tops) != 1:
                raise ManifestError(f"{bundle} should hold exactly one top folder, found {sorted(tops)}")
            top = tops.pop()
            folder = dest / top
            if folder.exists():
                raise ManifestError(f"{folder} already exists; extract somewhere else or remove it first")
            dest.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".dae-bundle-", dir=dest) as tmp:
                tar.extractall(tmp, members=members, filter="data")
                verify_manifest(Path(tmp) / top)
                (Path(tmp) / top).rename(folder)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ManifestError(f"{bundle} is not a readable bundle ({exc})") from exc
    return folder
