"""Unpack and check a Raspberry Pi bundle (rpi-bundle.tar.gz) written by `dae export --target rpi`.

Nothing is written before the whole member list has passed: plain files and folders only (no links,
devices or sparse files), at most `max_members` of them, each file and folder named by the manifest
with the size the manifest gives it, all of it fitting on the disk. The archive is then unpacked into
a hidden folder and moved into place only after every sha256 matched.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dae_runtime.manifest import (
    MANIFEST_FILE,
    MAX_MANIFEST_BYTES,
    ManifestError,
    manifest_folders,
    parse_manifest,
    verify_manifest,
)
from dae_runtime.tar_headers import MAX_MEMBERS, StrictTarInfo, not_plain, refused, special_kind


@dataclass(frozen=True)
class Member:
    """An archive member that passed the type and path checks, with its name made relative to the
    archive's root: "./dae-edge-rpi/x" and "dae-edge-rpi/x" (a bundle re-packed with tar) are one name."""

    info: tarfile.TarInfo
    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return "/".join(self.parts)


def _checked(m: tarfile.TarInfo) -> Member | None:
    """The member, or None for the archive's own root ("./", which `tar -C b .` writes first)."""
    path = PurePosixPath(m.name)
    kind = special_kind(m)
    if kind:
        raise not_plain(m.name, kind)
    if path.is_absolute() or ".." in path.parts:
        raise refused(f"{m.name} is a path outside the bundle's folder")
    if not path.parts:
        if m.isdir():
            return None
        raise refused(f"{m.name!r} is a file without a name")
    return Member(m, path.parts)


def list_members(tar: tarfile.TarFile, dest: Path, max_members: int = MAX_MEMBERS) -> list[Member]:
    """The archive's members, read one header at a time and refused at the first bad one: a type or
    path that is not allowed, the `max_members`+1-th member, a name seen twice (extraction would keep
    the last, not the one checked), or more bytes than `dest` has free (found before the data of
    the member that overflows is even decompressed)."""
    free = _free_bytes(dest)
    members: list[Member] = []
    seen: set[str] = set()
    total = 0
    for count, info in enumerate(tar, 1):
        if count > max_members:  # the archive's root "./" counts too: a million of them are as costly
            raise refused(f"it has more than {max_members:,} members (a bundle has about 10)")
        member = _checked(info)
        if member is None:
            continue
        if member.name in seen:
            raise refused(f"{member.name} is in it more than once")
        seen.add(member.name)
        total += info.size if info.isfile() else 0
        if total > free:
            raise refused(f"it unpacks to at least {total:,} bytes and {dest} has {free:,} free")
        members.append(member)
    return members


def _free_bytes(folder: Path) -> int:
    """Free bytes on the disk that holds `folder`, or would hold it (it may not exist yet)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def _extract_checked_members(tar: tarfile.TarFile, members: list[Member], dest: Path) -> None:
    """Extract members already passed by list_members and check_contents, with tarfile's "data"
    filter where it exists.

    The filter arrived in Python 3.10.12 / 3.11.4; Debian bookworm (Raspberry Pi OS) ships 3.11.2.
    There the plain files and folders are written by hand with the same outcome as the filter:
    no owners, no set-uid or group/other write bits, nothing outside dest.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, members=[m.info for m in members], filter="data")
        return
    for m in members:
        target = dest.joinpath(*m.parts)
        if m.info.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(m.info)
        if source is None:  # unreachable after list_members, kept as a guard
            raise ManifestError(f"refusing bundle member {m.name!r}: not a plain file")
        with source, open(target, "xb") as out:
            shutil.copyfileobj(source, out)
        target.chmod(0o755 if m.info.mode & 0o100 else 0o644)


def _top_folder(bundle: str | Path, members: list[Member]) -> str:
    tops = sorted({m.parts[0] for m in members})
    if len(tops) != 1 or any(len(m.parts) == 1 and not m.info.isdir() for m in members):
        shown = ", ".join(tops[:5]) + (f" and {len(tops) - 5} more" if len(tops) > 5 else "")
        raise ManifestError(f"{bundle} should hold one folder with manifest.json in it, found {shown or 'nothing'}")
    return tops[0]


def extract_bundle(bundle: str | Path, dest: str | Path, max_members: int = MAX_MEMBERS) -> Path:
    """Extract into dest (which must not hold the bundle's folder yet); return the checked folder.

    The archive is unpacked into a hidden temporary folder in dest and moved into place only
    after every file matched the manifest: a rejected bundle leaves nothing behind.
    """
    dest = Path(dest)
    try:
        with tarfile.open(bundle, "r:gz", tarinfo=StrictTarInfo) as tar:
            members = list_members(tar, dest, max_members)
            top = _top_folder(bundle, members)
            folder = dest / top
            if folder.exists():
                raise ManifestError(f"{folder} already exists; extract somewhere else or remove it first")
            check_contents(tar, members, top)
            dest.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".dae-bundle-", dir=dest) as tmp:
                _extract_checked_members(tar, members, Path(tmp))
                verify_manifest(Path(tmp) / top, shown=f"refusing {bundle}")  # not the hidden folder, removed
                (Path(tmp) / top).rename(folder)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ManifestError(f"{bundle} is not a readable bundle ({exc})") from exc
    return folder


def _read_manifest(tar: tarfile.TarFile, members: list[Member], top: str) -> dict:
    manifest_name = f"{top}/{MANIFEST_FILE}"
    found = [m for m in members if m.name == manifest_name and m.info.isfile()]
    if not found:
        raise ManifestError(f"bundle has no {manifest_name}")
    if found[0].info.size > MAX_MANIFEST_BYTES:
        size = found[0].info.size
        raise ManifestError(f"refusing bundle: {manifest_name} is {size:,} bytes (a manifest is a few KB)")
    member = tar.extractfile(found[0].info)
    if member is None:
        raise ManifestError(f"bundle member {manifest_name} is not a regular file")
    return parse_manifest(member.read(MAX_MANIFEST_BYTES + 1), manifest_name)


def check_contents(tar: tarfile.TarFile, members: list[Member], top: str) -> None:
    """Before anything is extracted: every file is in the manifest with the size the manifest gives
    it, and every folder is one the manifest's files need. A small archive can hold a huge member
    (a decompression bomb) or a million folders; the headers tell, so nothing needs writing to see it."""
    files = _read_manifest(tar, members, top)["files"]
    folders = manifest_folders(files)
    for m in members:
        name = PurePosixPath(*m.parts[1:]).as_posix()
        if m.info.isdir():
            if name != "." and name not in folders:
                raise refused(f"folder {name}/ (not in the manifest)")
            continue
        if name == MANIFEST_FILE:
            continue
        if name not in files:
            raise refused(f"{name} (not in the manifest)")
        declared = files[name].get("bytes")
        if not isinstance(declared, int) or isinstance(declared, bool):  # dae export always writes it
            raise refused(f"the manifest gives no size for {name}")
        if m.info.size != declared:
            raise refused(f"{name} ({m.info.size:,} bytes, the manifest says {declared:,})")
