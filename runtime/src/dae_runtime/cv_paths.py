"""Paths that OpenCV can take, and paths shown to the user, whatever bytes their names hold.

OpenCV's Python bindings convert a path to UTF-8. A file name that is not valid UTF-8 reaches Python
with its odd bytes as lone surrogates ('b\\udcff.png'); the conversion fails inside OpenCV, which then
crashes with SIGSEGV instead of raising (issue 25, defect 1). Such a path is handed to OpenCV through
Linux's /proc/self/fd: the folder opened as a file descriptor plus the (valid) file name, which keeps
the extension the encoders and FFmpeg go by; or, for reading a file whose own name is not UTF-8, the
open file itself (images and videos are recognised by their content). Elsewhere it is refused in one line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROC_FD = Path("/proc/self/fd")


class UnusableName(OSError):
    """OpenCV cannot be given this path here; one line for the user."""


def opencv_can_take(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: object) -> str:
    """`text` (a path or a message holding one) with the bytes of a non-UTF-8 name shown as \\xNN:
    safe to print on any terminal and under any locale (a strict UTF-8 stdout raises on surrogates)."""
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def utf8_name(name: str) -> str:
    """`name` with every byte that is not UTF-8 replaced by '_' (for names dae makes itself)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\ufffd", "_")


@contextmanager
def opencv_path(path: str | os.PathLike, write: bool = False) -> Iterator[str]:
    """A string OpenCV can open for `path` during the block. `write=True` needs the file name itself
    to be UTF-8 (dae names its temporary files so); reading takes any name. UnusableName if neither
    way exists here (no /proc: not Linux)."""
    text = os.fspath(path)
    if opencv_can_take(text):
        yield text
        return
    target = Path(text)
    if not PROC_FD.is_dir():
        raise UnusableName(f"OpenCV cannot open {printable(text)}: its name is not UTF-8; rename it")
    if opencv_can_take(target.name):
        flags = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY
        fd = os.open(target.parent, flags)
        alias = f"{PROC_FD}/{fd}/{target.name}"
    elif not write:
        fd = os.open(target, os.O_RDONLY)
        alias = f"{PROC_FD}/{fd}"
    else:
        raise UnusableName(f"OpenCV cannot write {printable(text)}: its name is not UTF-8")
    try:
        yield alias
    finally:
        os.close(fd)
