"""Write files so that a crash, Ctrl-C or a full disk never leaves a half-written one in place.

The rule for every file dae-edge writes: write it aside (a hidden temporary file in the target's
folder, so the same filesystem), check it, flush it to the disk, then rename it onto the target in
one atomic step. Until that rename the target keeps its old content; after it, the new one whole.
A temporary file's name is UTF-8 even where the target's is not (OpenCV is given it) and stays under the
255-byte limit for a long target name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dae_runtime.cv_paths import utf8_name

MAX_STEM_BYTES = 200  # a temporary name must stay under the 255-byte limit even for a long target name


def temp_beside(target: str | os.PathLike) -> Path:
    """A new empty hidden file beside `target`, with the same suffix (writers pick formats by it)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = temp_affixes(target)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=target.parent)
    os.close(fd)
    return Path(tmp)


def temp_affixes(target: Path, kind: str = "tmp") -> tuple[str, str]:
    """(prefix, suffix) of the hidden temporary files of `target`; the random part goes between."""
    stem = utf8_name(target.stem).encode()[:MAX_STEM_BYTES].decode("utf-8", "ignore")
    return f".{stem}.", f".{kind}{utf8_name(target.suffix)}"


def commit(tmp: Path, target: str | os.PathLike) -> None:
    """Flush `tmp` to the disk and rename it onto `target` (atomic on one filesystem)."""
    os.chmod(tmp, _default_file_mode())  # mkstemp makes 0600; give what open() would
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)  # a pulled plug right after the rename must not find an empty file
    finally:
        os.close(fd)
    os.replace(tmp, target)


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


def _default_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_json(target: str | os.PathLike, data: object) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
