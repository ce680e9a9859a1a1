"""JSON from files a user (or an attacker) may have written, read within a size and a nesting limit.

Every manifest read (bundle, export folder, a model's folder) and every saved training state goes
through here. Unbounded, a 1 GB manifest.json is read whole into memory, and json.loads recurses once
per nesting level: 100,000 '[' raise RecursionError, a traceback instead of a one-line refusal.
"""

from __future__ import annotations

import os
import re
import stat
from itertools import accumulate
from pathlib import Path

MAX_DEPTH = 32  # a manifest nests 4 levels deep, a training state 4
# Brackets inside strings do not nest. The closing quote is optional so that a match never fails once
# begun: with it required, an unterminated string of escaped quotes ('"\\"\\"...') made the regex retry
# from every quote to the end, hours for a 1 MiB manifest. An unterminated string is left to json.loads.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONLimitError(ValueError):
    """A JSON file that is too large, too deeply nested, not a regular file or not JSON."""


def read_limited(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`, refused before reading when it is larger.

    A pipe or a device named like the file (e.g. a link to /dev/zero) is refused without reading it:
    opening with O_NONBLOCK does not wait for a pipe's writer. OSError for a missing or unreadable file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise JSONLimitError("it is not a regular file")
        if st.st_size > max_bytes:
            raise JSONLimitError(f"it is {st.st_size:,} bytes, over the {max_bytes:,}-byte limit")
        data = f.read(max_bytes + 1)  # the size may have changed since fstat
    if len(data) > max_bytes:
        raise JSONLimitError(f"it is over the {max_bytes:,}-byte limit")
    return data


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest, found without recursion."""
    brackets = _BRACKET.findall(_STRING.sub("", text))
    return max(accumulate(1 if b in "[{" else -1 for b in brackets), default=0)


def loads_limited(data: str | bytes, max_bytes: int, max_depth: int = MAX_DEPTH) -> object:
    """json.loads, refusing texts over `max_bytes` or nested deeper than `max_depth` before parsing.

    Raises JSONLimitError (a ValueError) with the reason, ready to follow "is unreadable".
    """
    if len(data) > max_bytes:
        raise JSONLimitError(f"it is over the {max_bytes:,}-byte limit")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise JSONLimitError("it is not UTF-8 text") from None
    depth = nesting_depth(text)
    if depth > max_depth:
        raise JSONLimitError(f"it nests {depth:,} levels deep, over the limit of {max_depth}")
    import json

    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: unreachable below max_depth, kept as a guard
        raise JSONLimitError(str(exc)) from None


def read_json(path: str | os.PathLike, max_bytes: int, max_depth: int = MAX_DEPTH) -> object:
    """A JSON file within the limits; OSError if it cannot be opened, JSONLimitError for the rest."""
    return loads_limited(read_limited(Path(path), max_bytes), max_bytes, max_depth)
