"""Unpack and check a Raspberry Pi bundle (rpi-bundle.tar.gz) written by `dae export --target rpi`."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from dae_runtime.manifest import MANIFEST_FILE, ManifestError, parse_manifest, verify_manifest

MAX_MANIFEST_BYTES = 16 << 20  # a real manifest is a few KB; read into memory, so bounded


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Only plain files and folders below the destination: no links, devices, absolute or '..' paths."""
    members = tar.getmembers()
    for m in members:
        path = PurePosixPath(m.name)
        if path.is_absolute() or ".." in path.parts or not (m.isfile() or m.isdir()):
            raise ManifestError(f"refusing bundle member {m.name!r}: only plain files below one folder are allowed")
    return members


def _extract_checked_members(tar: tarfile.TarFile, members: list[tarfile.TarInfo], dest: Path) -> None:
    """Extract members already passed by _safe_members, with tarfile's "data" filter where it exists.

    The filter arrived in Python 3.10.12 / 3.11.4; Debian bookworm (Raspberry Pi OS) ships 3.11.2.
    There the plain files and folders are written by hand with the same outcome as the filter:
    no owners, no set-uid or group/other write bits, nothing outside dest.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, members=members, filter="data")
        return
    for m in members:
        target = dest.joinpath(*PurePosixPath(m.name).parts)
        if m.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(m)
        if source is None:  # unreachable after _safe_members, kept as a guard
            raise ManifestError(f"refusing bundle member {m.name!r}: not a plain file")
        with source, open(target, "xb") as out:
            shutil.copyfileobj(source, out)
        target.chmod(0o755 if m.mode & 0o100 else 0o644)


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
            check_sizes(tar, members, top, dest)
            with tempfile.TemporaryDirectory(prefix=".dae-bundle-", dir=dest) as tmp:
                _extract_checked_members(tar, members, Path(tmp))
                verify_manifest(Path(tmp) / top)
                (Path(tmp) / top).rename(folder)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ManifestError(f"{bundle} is not a readable bundle ({exc})") from exc
    return folder


def check_sizes(tar: tarfile.TarFile, members: list[tarfile.TarInfo], top: str, dest: Path) -> None:
    """Before anything is extracted: every file is in the manifest, has the size the manifest
    gives it, and all of them fit on the destination's disk. A small archive can hold a huge
    member (a decompression bomb); its header tells the size, so nothing needs writing to see it."""
    manifest_name = f"{top}/{MANIFEST_FILE}"
    seen: set[str] = set()
    for m in members:  # extraction keeps the last of two same names: it would not be the one checked here
        name = PurePosixPath(m.name).as_posix()
        if name in seen:
            raise ManifestError(f"refusing bundle: {name} is in it more than once; nothing was extracted")
        seen.add(name)
    found = [m for m in members if m.name.rstrip("/") == manifest_name and m.isfile()]
    if not found:
        raise ManifestError(f"bundle has no {manifest_name}")
    if found[0].size > MAX_MANIFEST_BYTES:
        raise ManifestError(f"refusing bundle: {manifest_name} is {found[0].size:,} bytes (a manifest is a few KB)")
    member = tar.extractfile(found[0])
    if member is None:
        raise ManifestError(f"bundle member {manifest_name} is not a regular file")
    data = member.read(MAX_MANIFEST_BYTES + 1)
    files = parse_manifest(data, manifest_name)["files"]
    total = 0
    for m in members:
        if not m.isfile():
            continue
        total += m.size
        name = PurePosixPath(m.name).relative_to(top).as_posix()
        if name == MANIFEST_FILE:
            continue
        if name not in files:
            raise ManifestError(f"refusing bundle: {name} (not in the manifest); nothing was extracted")
        declared = files[name].get("bytes")
        if not isinstance(declared, int) or isinstance(declared, bool):  # dae export always writes it
            raise ManifestError(f"refusing bundle: the manifest gives no size for {name}; nothing was extracted")
        if m.size != declared:
            raise ManifestError(
                f"refusing bundle: {name} ({m.size:,} bytes, the manifest says {declared:,}); nothing was extracted"
            )
    stat = os.statvfs(dest)
    free = stat.f_bavail * stat.f_frsize
    if total > free:
        raise ManifestError(f"refusing bundle: it unpacks to {total:,} bytes and {dest} has {free:,} free")
