"""tarfile's header reading, bounded for archives nobody vouches for (dae verify's bundles).

tarfile reads some things whole before the member they describe is returned, so no check of the
member can come early enough: a GNU long name or a pax header is read into memory at its declared
size (a 520 KB .tar.gz with a 512 MB long name took 3.1 GB and 16 s, measured 2026-12-06), a chain of
them recurses once per header (RecursionError), and a sparse member's map is read block by block
(pax sparse 1.0 without any bound). StrictTarInfo refuses these while the header is read, through
_proc_member, the hook tarfile's source names for subclasses, and _proc_gnusparse_10.
Sparse members of the other formats come out with `sparse` set and are refused by the caller.
"""

from __future__ import annotations

import tarfile

from dae_runtime.manifest import ManifestError

MAX_MEMBERS = 1000  # a bundle has about 10 (files and one folder)
MAX_HEADER_BYTES = 64 << 10  # a long name or a pax header; real ones are a few hundred bytes
MAX_HEADER_CHAIN = 8  # extended headers before one member; a real member has at most 3
# tarfile keeps every member's pax records, and copies the global ones into every later member: 990
# members with a 64 KB pax header each took 731 MB, 960 global headers 4.8 GB (6 MB archive). Bounded:
MAX_TOTAL_HEADER_BYTES = 256 << 10  # all the extended headers of the archive; a bundle's are a few KB
MAX_GLOBAL_HEADER_BYTES = 1 << 10  # global pax headers (git archive writes one of 52 bytes)
_EXTENDED = {tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE}
_EXTENDED.add(tarfile.SOLARIS_XHDTYPE)
_CHAIN = "_dae_extended_headers"  # attribute of the TarFile being read: extended headers in a row
_BYTES = "_dae_header_bytes"  # and the bytes of all its extended headers so far (all, global)


def refused(reason: str) -> ManifestError:
    """The one-line refusal of a bundle, before anything of it was written."""
    return ManifestError(f"refusing bundle: {reason}; nothing was extracted")


def not_plain(name: str, kind: str) -> ManifestError:
    return refused(f"{name} is {kind} (only plain files and folders are allowed)")


def special_kind(m: tarfile.TarInfo) -> str | None:
    """What a member is when it is neither a plain file nor a folder (None when it is one of those)."""
    if m.issparse():
        return "a sparse file"
    if m.type in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
        return None
    kinds = {tarfile.SYMTYPE: "a symbolic link", tarfile.LNKTYPE: "a hard link", tarfile.FIFOTYPE: "a pipe"}
    kinds |= {tarfile.CHRTYPE: "a device", tarfile.BLKTYPE: "a device", tarfile.CONTTYPE: "a contiguous file"}
    return kinds.get(m.type, f"a member of tar type {m.type!r}")


class StrictTarInfo(tarfile.TarInfo):
    """tarfile.open(..., tarinfo=StrictTarInfo): headers that would cost memory are refused (ManifestError)."""

    def _proc_member(self, tar):
        if self.type in _EXTENDED:
            chain = getattr(tar, _CHAIN, 0) + 1
            setattr(tar, _CHAIN, chain)
            if self.size > MAX_HEADER_BYTES:
                raise refused(
                    f"a {self.size:,}-byte tar header (a long name or pax header; real ones are a few hundred)"
                )
            if chain > MAX_HEADER_CHAIN:
                raise refused(f"over {MAX_HEADER_CHAIN} tar headers in a row")
            _count_bytes(tar, self.size, self.type == tarfile.XGLTYPE)
        else:
            setattr(tar, _CHAIN, 0)
            if self.type == tarfile.GNUTYPE_SPARSE:  # before its extension blocks are read
                raise not_plain(self.name, "a sparse file")
        return super()._proc_member(tar)

    def _proc_gnusparse_10(self, next, pax_headers, tar):
        raise not_plain(next.name, "a sparse file")  # before its map, of any length, is read from the member's data


def _count_bytes(tar: tarfile.TarFile, size: int, is_global: bool) -> None:
    total, global_total = getattr(tar, _BYTES, (0, 0))
    total, global_total = total + size, global_total + (size if is_global else 0)
    setattr(tar, _BYTES, (total, global_total))
    if total > MAX_TOTAL_HEADER_BYTES:
        raise refused(f"over {MAX_TOTAL_HEADER_BYTES:,} bytes of tar headers (long names, pax headers)")
    if global_total > MAX_GLOBAL_HEADER_BYTES:
        raise refused(f"over {MAX_GLOBAL_HEADER_BYTES:,} bytes of global pax headers")
