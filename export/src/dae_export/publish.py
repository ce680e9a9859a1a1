"""Publish a finished export into OUT all at once: the folder holds the old export or the new one, whole.

The export is built in a staging folder beside OUT (`.<OUT>.dae-export-*`, same filesystem), the
user's own files in OUT are hard-linked (or copied) into it, and then the two folders trade places
in one atomic step: Linux renameat2(RENAME_EXCHANGE). A kill -9 at any moment leaves OUT either
untouched or fully new; the old export, now under the staging name, is removed afterwards, and a
leftover from a killed run is removed by the next export.

Where RENAME_EXCHANGE is not available (not Linux, or a filesystem without it) the fallback is two
renames, OUT -> `.<OUT>.dae-old-*` and stage -> OUT. A kill between them leaves no OUT but the old
export whole under the old name; the next `dae export` into OUT puts it back before anything else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import stat
import tempfile
import uuid
from pathlib import Path

from dae_runtime.atomic import sync_folder as _fsync_dir  # some filesystems cannot sync a folder: skipped
from dae_runtime.manifest import MANIFEST_FILE

STAGE_INFIX = ".dae-export-"  # .<OUT name>.dae-export-XXXX beside OUT
OLD_INFIX = ".dae-old-"  # .<OUT name>.dae-old-XXXX beside OUT (fallback swap only)
# Exactly what mkdtemp (8 of [a-z0-9_]) and uuid4().hex[:8] append: a user's `.out.dae-old-backup` is not ours.
_RANDOM_TAIL = "[a-z0-9_]{8}"
AT_FDCWD = -100
RENAME_EXCHANGE = 2
_HELD: dict[Path, int] = {}  # stage -> open fd holding its flock while this process builds in it


def _leftovers(out: Path, infix: str) -> list[Path]:
    ours = re.compile(re.escape(f".{out.name}{infix}") + _RANDOM_TAIL)
    try:
        names = os.listdir(out.parent)
    except OSError:
        return []
    return sorted(out.parent / name for name in names if ours.fullmatch(name))


def clean_leftovers(out: Path) -> None:
    """Undo what a killed export left: restore OUT from a fallback swap cut in half, drop stale folders.
    A stage another running export holds locked is left alone (two exports into one OUT)."""
    olds = _leftovers(out, OLD_INFIX)
    if olds and not out.exists():
        os.rename(olds[-1], out)  # the fallback was killed between its two renames: the old export is whole
        olds = olds[:-1]
    for path in [*olds, *(s for s in _leftovers(out, STAGE_INFIX) if not _in_use(s))]:
        shutil.rmtree(path, ignore_errors=True)


def new_stage(out: Path) -> Path:
    """An empty staging folder beside OUT, with the permissions OUT has (mkdtemp makes 0700), locked
    until release_stage() (or this process's end) so that no other export takes it for a leftover."""
    check_one_filesystem(out)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}{STAGE_INFIX}", dir=out.parent))
    _hold(stage)
    mode = out.stat().st_mode & 0o7777 if out.is_dir() else 0o777 & ~_umask()
    os.chmod(stage, mode)
    return stage


def release_stage(stage: Path) -> None:
    fd = _HELD.pop(stage, None)
    if fd is not None:
        os.close(fd)


def check_one_filesystem(out: Path) -> None:
    """OUT and every folder in it must be on its parent's filesystem: a mount point cannot be swapped
    (its user files would be copied across first), and one below OUT would be emptied with the old OUT."""
    if not out.is_dir():
        return
    device = os.stat(out.parent).st_dev
    for root, _dirs, _files in os.walk(out):  # symlinks are not followed: they are carried as links
        if os.stat(root).st_dev != device:
            raise OSError(errno.EXDEV, f"{root} is a mount point; export into a folder of its own instead")


def _hold(stage: Path) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no locking, the cleanup only runs between exports
        return
    fd = os.open(stage, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a filesystem without locks: as above
        os.close(fd)
        return
    _HELD[stage] = fd


def _in_use(stage: Path) -> bool:
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(stage, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops our own probe lock


def carry_user_files(out: Path, stage: Path, export_files: set[str]) -> None:
    """Hard-link (or copy) into the stage every entry of OUT that is not part of the previous export
    and that the new export does not replace: notes, scripts, anything the user keeps there."""
    if not out.is_dir():
        return
    for entry in sorted(out.iterdir()):
        name = entry.name
        if name in export_files or name == MANIFEST_FILE:
            continue
        target = stage / name
        if os.path.lexists(target):
            continue  # the new export writes a file of this name: it wins, as a plain re-export would
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def swap_into_place(stage: Path, out: Path) -> Path | None:
    """Make `stage` become OUT in one step; returns the folder now holding the old OUT (to remove), if any."""
    sync_tree(stage)  # a pulled plug right after the swap must not find empty files
    try:
        if not out.exists():
            os.rename(stage, out)
            return None
        if exchange(stage, out):
            return stage
        old = out.parent / f".{out.name}{OLD_INFIX}{uuid.uuid4().hex[:8]}"
        os.rename(out, old)
        try:
            os.rename(stage, out)
        except OSError:
            os.rename(old, out)
            raise
        return old
    finally:
        _fsync_dir(out.parent)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False where that is not available."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # kernel or filesystem without it
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def sync_tree(folder: Path) -> None:
    """fsync every file and folder below `folder` (the export is a few files)."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if stat.S_ISREG(os.lstat(path).st_mode):  # not links, nor a user's FIFO (open would wait for a writer)
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(Path(root))


def remove_old(old: Path | None) -> None:
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


_RENAMEAT2: list = []


def _renameat2():
    if not _RENAMEAT2:
        func = None
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            func = getattr(libc, "renameat2", None)  # glibc >= 2.28 (Pi OS bookworm: 2.36)
        except OSError:
            pass
        if func is not None:
            func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            func.restype = ctypes.c_int
        _RENAMEAT2.append(func)
    return _RENAMEAT2[0]


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
