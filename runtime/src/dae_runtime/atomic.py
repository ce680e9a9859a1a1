"""Write files so that a crash, Ctrl-C or a full disk never leaves a half-written one in place.

The rule for every file dae-edge writes: write it aside (a hidden temporary file in the target's
folder, so the same filesystem), check it, flush it to the disk, then rename it onto the target in
one atomic step. Until that rename the target keeps its old content; after it, the new one whole.

A temporary file is named `.STEM.XXXXXXXX.tmp.SUFFIX` (8 random characters, as mkstemp makes them; a
STEM that is not UTF-8 has '_' for its odd bytes, so OpenCV can be given the name) and is locked
(flock) while its writer lives. A kill -9 leaves it behind unlocked: the next write of the same target
removes it. Nothing else is ever removed: only names of exactly that form, and only unlocked ones.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dae_runtime.cv_paths import utf8_name

RANDOM_TAIL = "[a-z0-9_]{8}"  # exactly what mkstemp appends
MAX_STEM_BYTES = 200  # a temporary name must stay under the 255-byte limit even for a long target name
_HELD: dict[Path, int] = {}  # temporary file -> the open descriptor holding its lock


def temp_affixes(target: Path, kind: str = "tmp") -> tuple[str, str]:
    """(prefix, suffix) of the hidden temporary files of `target`; the random part goes between."""
    stem = utf8_name(target.stem).encode()[:MAX_STEM_BYTES].decode("utf-8", "ignore")
    return f".{stem}.", f".{kind}{utf8_name(target.suffix)}"


def temp_beside(target: str | os.PathLike, kind: str = "tmp") -> Path:
    """A new empty hidden file beside `target`, with the same suffix (writers pick formats by it),
    locked until commit() or release(). Unlocked `tmp` leftovers of the same target are removed first
    (other kinds, such as recordings, are another module's to finalise)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = temp_affixes(target, kind)
    for stale in leftovers(target.parent, re.escape(prefix), re.escape(suffix)) if kind == "tmp" else []:
        fd = try_lock(stale)
        if fd is not None:
            stale.unlink(missing_ok=True)
            os.close(fd)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    if _lock(fd):
        _HELD[Path(tmp)] = fd
    else:
        os.close(fd)
    return Path(tmp)


def leftovers(folder: Path, prefix: str, suffix: str) -> list[Path]:
    """Files in `folder` named `prefix` + 8 random characters + `suffix` (both regular expressions)."""
    ours = re.compile(prefix + RANDOM_TAIL + suffix)
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / name for name in names if ours.fullmatch(name))


def try_lock(path: Path) -> int | None:
    """An open descriptor of `path` holding its lock, or None if another process holds it (or locks
    cannot be taken here, or it is gone): only a file whose writer is dead is treated as a leftover."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    except OSError:
        return None
    if _lock(fd):
        return fd
    os.close(fd)
    return None


def _lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # not POSIX: nothing is locked, so nothing is ever taken for a leftover
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
            raise
        return False
    return True


def release(tmp: Path) -> None:
    """Drop the lock of a temporary file (after its rename, or when it was removed)."""
    fd = _HELD.pop(Path(tmp), None)
    if fd is not None:
        os.close(fd)


def commit(tmp: Path, target: str | os.PathLike) -> None:
    """Flush `tmp` to the disk and rename it onto `target` (atomic on one filesystem)."""
    os.chmod(tmp, default_file_mode())  # mkstemp makes 0600; give what open() would
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)  # a pulled plug right after the rename must not find an empty file
    finally:
        os.close(fd)
    os.replace(tmp, target)
    release(tmp)


def sync_folder(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a new or renamed file) to the disk; where folders cannot be
    opened or synced, the filesystem's own commit has to do."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target` (same suffix); rename it onto `target` on success.

    On any exception the temporary file is removed and `target` keeps its old content.
    """
    tmp_path = temp_beside(target)
    try:
        yield tmp_path
        commit(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
        release(tmp_path)


def default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_json(target: str | os.PathLike, data: object) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
