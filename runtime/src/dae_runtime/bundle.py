"""Unpack and check a Raspberry Pi bundle (rpi-bundle.tar.gz) written by `dae export --target rpi`."""

from __future__ import annotations

import tarfile
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
    """Extract into dest (which must not hold the bundle's folder yet); return the checked folder."""
    dest = Path(dest)
    try:
        with tarfile.open(bundle, "r:gz") as tar:
            members = _safe_members(tar)
            tops = {PurePosixPath(m.name).parts[0] for m in members}
            if len(tops) != 1:
                raise ManifestError(f"{bundle} should hold exactly one top folder, found {sorted(tops)}")
            folder = dest / tops.pop()
            if folder.exists():
                raise ManifestError(f"{folder} already exists; extract somewhere else or remove it first")
            tar.extractall(dest, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ManifestError(f"{bundle} is not a readable bundle ({exc})") from exc
    verify_manifest(folder)
    return folder
