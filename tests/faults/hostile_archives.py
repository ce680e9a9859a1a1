"""Builders of hostile and re-packed bundles for the fault suite, small enough to make in each test.

A bundle here is dae-edge-rpi/ with manifest.json (sha256 and bytes of each file, as dae export
writes it) and model.onnx, the shipped seed model: `dae verify` passes it, and `dae denoise --model`
and `dae live --model` can use its folder.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

from dae_runtime.manifest import sha256_file
from dae_runtime.shipped import default_model_path

TOP = "dae-edge-rpi"


def export_folder(folder: Path, extra: dict[str, bytes] | None = None) -> Path:
    """`folder` with the seed model, the `extra` files and a manifest listing all of them."""
    folder.mkdir(parents=True)
    shutil.copyfile(default_model_path(), folder / "model.onnx")
    for name, data in (extra or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    names = ["model.onnx", *(extra or {})]
    files = {n: {"sha256": sha256_file(folder / n), "bytes": (folder / n).stat().st_size} for n in names}
    (folder / "manifest.json").write_text(json.dumps({"format": "dae-edge-export/1", "files": files}, indent=2))
    return folder


def manifest_bytes(files: dict[str, int]) -> bytes:
    """A manifest listing `files` (name -> bytes) with made-up sha256s: for bundles refused before any check."""
    return json.dumps({"files": {n: {"sha256": "0" * 64, "bytes": size} for n, size in files.items()}}).encode()


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write_gz(path: Path, blocks: list[bytes]) -> Path:
    """A .tar.gz of raw 512-byte tar blocks (headers tarfile would not write), ended by two zero blocks."""
    import gzip

    with gzip.open(path, "wb", compresslevel=1) as f:
        for block in blocks:
            f.write(block)
        f.write(bytes(1024))
    return path


def header(name: str, size: int, kind: bytes, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=fmt)


def padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 512)


def gnu_sparse_header(name: str, realsize: int, data_offset: int, data_size: int) -> bytes:
    """An old-GNU sparse member's header ('S'): `data_size` stored bytes at `data_offset` of a
    `realsize`-byte file; the rest is holes that an extraction by hand writes as zeros."""
    buf = bytearray(header(name, data_size, tarfile.GNUTYPE_SPARSE))
    buf[386:410] = b"%011o\0%011o\0" % (data_offset, data_size)  # the first of four sparse entries
    buf[483:495] = b"%011o\0" % realsize
    buf[148:156] = b" " * 8
    buf[148:156] = b"%06o\0 " % sum(buf)
    return bytes(buf)


def pax_sparse_member(name: str, realsize: int, version: str, map_entries: int = 1) -> list[bytes]:
    """A pax-format sparse member (GNU tar's --format=posix), version 0.0, 0.1 or 1.0, one byte of data.
    Version 1.0 keeps its map in the member's data: `map_entries` says how many entries it claims."""
    pax = {
        "0.0": {"GNU.sparse.size": str(realsize), "GNU.sparse.offset": str(realsize - 1), "GNU.sparse.numbytes": "1"},
        "0.1": {"GNU.sparse.size": str(realsize), "GNU.sparse.map": f"{realsize - 1},1", "GNU.sparse.name": name},
        "1.0": {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.realsize": str(realsize),
                "GNU.sparse.name": name},
    }[version]  # fmt: skip
    info = tarfile.TarInfo(name if version == "0.0" else f"{Path(name).parent}/GNUSparseFile.0/{Path(name).name}")
    body = padded(f"{map_entries}\n{realsize - 1}\n1\n".encode()) + b"x" if version == "1.0" else b"x"
    info.size, info.pax_headers = len(body), pax
    return [info.tobuf(format=tarfile.PAX_FORMAT), padded(body)]
