"""Fragmented MP4 (ISO/IEC 14496-12) holding one Motion-JPEG video track, written by hand.

Why by hand: OpenCV's FFmpeg writer puts the MP4 index (moov) at the end, so a kill or a pulled plug
loses the whole file, and it takes no muxer options (fragmenting included); it also drops the last
column/row of odd-sized frames (`width &= -2` in cap_ffmpeg_impl.hpp), whatever the codec. JPEG takes
any size, every frame stands alone, and OpenCV encodes it (cv2.imencode). Layout: ftyp, moov (the track
with no samples, plus mvex), then per fragment a moof (sample sizes) and an mdat (the JPEGs). A file cut
anywhere plays up to its last whole fragment; `scan` finds where that ends. FFmpeg reads the track as
MJPEG through the MPEG-4 object type 0x6C (JPEG), as its own MP4 muxer writes it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from dae_runtime.jpeg import Encoder, jpeg_encoder

JPEG_OBJECT_TYPE = 0x6C  # ISO/IEC 10918-1, in the MP4 registration authority's object type list
VISUAL_STREAM = 0x04
SYNC_SAMPLE = 0x02000000  # sample_depends_on = 2: decodable alone
TFHD_FLAGS = 0x020000 | 0x08 | 0x20  # offsets from the moof; default duration and flags given
TRUN_FLAGS = 0x001 | 0x200  # data offset, then one size per sample
TRACK_ID = 1
JPEG_QUALITY = 80  # the size and PSNR of OpenCV's mp4v at its default rate (benchmarks/README.md, "Recordings")
FRAGMENT_SECONDS = 1.0  # a fragment per second of video: what a kill or a pulled plug can cost
FRAGMENT_BYTES = 8 << 20  # or sooner, so that big frames at a high rate stay bounded in memory
TICKS_PER_FRAME = 1000  # the track's timescale is 1000 x fps: exact for rates such as 29.97
MAX_INDEX_BOX = 16 << 20  # a moov or moof this module writes is a few KB: a larger one is not ours
MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)


def _descriptor(tag: int, body: bytes) -> bytes:
    n = len(body)  # the 4-byte length form, as FFmpeg writes it
    return bytes([tag, 0x80 | n >> 21 & 0x7F, 0x80 | n >> 14 & 0x7F, 0x80 | n >> 7 & 0x7F, n & 0x7F]) + body


def _sample_entry(width: int, height: int) -> bytes:
    config = struct.pack(">BB3sII", JPEG_OBJECT_TYPE, VISUAL_STREAM << 2 | 1, bytes(3), 0, 0)
    es = struct.pack(">HB", TRACK_ID, 0) + _descriptor(4, config) + _descriptor(6, b"\x02")
    esds = full_box(b"esds", 0, 0, _descriptor(3, es))
    visual = struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1) + bytes(32) + struct.pack(">Hh", 24, -1)
    return box(b"mp4v", bytes(6), struct.pack(">H", 1), bytes(16), visual, esds)


def init_segment(width: int, height: int, timescale: int, sample_duration: int) -> bytes:
    """ftyp + moov of a track of `width` x `height` JPEGs, each lasting `sample_duration` / `timescale` s."""
    if not (0 < width < 1 << 16 and 0 < height < 1 << 16):
        raise ValueError(f"a {width}x{height} frame does not fit an MP4 sample entry")
    ftyp = box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso6mp41")
    movie = struct.pack(">4IIH10x", 0, 0, 1000, 0, 0x10000, 0x100)  # times, timescale, duration, rate, volume
    mvhd = full_box(b"mvhd", 0, 0, movie, MATRIX, bytes(24), struct.pack(">I", TRACK_ID + 1))
    track = struct.pack(">5I8x4H", 0, 0, TRACK_ID, 0, 0, 0, 0, 0, 0)  # times, id, duration, layer, volume
    tkhd = full_box(b"tkhd", 0, 3, track, MATRIX, struct.pack(">II", width << 16, height << 16))
    mdhd = full_box(b"mdhd", 0, 0, struct.pack(">4IHH", 0, 0, timescale, 0, 0x55C4, 0))  # language "und"
    hdlr = full_box(b"hdlr", 0, 0, struct.pack(">I4s12x", 0, b"vide"), b"dae-edge video\0")
    dinf = box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))
    no_samples = [full_box(kind, 0, 0, struct.pack(">I", 0)) for kind in (b"stts", b"stsc", b"stco")]
    stsz = full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0))
    stbl = box(b"stbl", full_box(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(width, height)), *no_samples, stsz)
    minf = box(b"minf", full_box(b"vmhd", 0, 1, bytes(8)), dinf, stbl)
    trak = box(b"trak", tkhd, box(b"mdia", mdhd, hdlr, minf))
    trex = full_box(b"trex", 0, 0, struct.pack(">5I", TRACK_ID, 1, sample_duration, 0, 0))
    return ftyp + box(b"moov", mvhd, trak, box(b"mvex", trex))


def fragment(sequence: int, decode_time: int, sample_duration: int, samples: list[bytes]) -> bytes:
    """moof + mdat of `samples` (JPEG files), the first decoded at `decode_time` (in the track's timescale)."""
    sizes = b"".join(struct.pack(">I", len(s)) for s in samples)

    def moof(data_offset: int) -> bytes:
        tfhd = full_box(b"tfhd", 0, TFHD_FLAGS, struct.pack(">III", TRACK_ID, sample_duration, SYNC_SAMPLE))
        tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time))
        trun = full_box(b"trun", 0, TRUN_FLAGS, struct.pack(">Ii", len(samples), data_offset), sizes)
        return box(b"moof", full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)), box(b"traf", tfhd, tfdt, trun))

    head = moof(len(moof(0)) + 8)  # the data starts after this moof and the mdat's 8-byte header
    return head + box(b"mdat", *samples)


@dataclass
class Scan:
    """What a (possibly cut) file holds: its whole fragments end at `end`."""

    end: int = 0  # bytes up to the end of the last whole fragment (or of the moov, if none)
    fragments: int = 0
    samples: int = 0
    timescale: int = 0
    sample_duration: int = 0

    @property
    def seconds(self) -> float:
        return self.samples * self.sample_duration / self.timescale if self.timescale else 0.0


def scan(f: BinaryIO) -> Scan | None:
    """Walk the top-level boxes of a file this module wrote; None if it lacks the ftyp and moov.
    Stops at the first box that is cut short, or a moof not followed by its whole mdat."""
    found, offset, pending = Scan(), 0, -1  # pending: samples of a moof still waiting for its mdat
    while (head := _read_at(f, offset, 8)) is not None:
        size, kind = struct.unpack(">I4s", head)
        index = kind in (b"moov", b"moof") and 8 <= size <= MAX_INDEX_BOX
        body = _read_at(f, offset + 8, size - 8) if index else b""
        if (
            size < 8
            or body is None
            or (kind in (b"moov", b"moof") and not index)
            or _read_at(f, offset + size - 1, 1) is None
        ):
            break
        if offset == 0 and kind != b"ftyp":
            return None
        if kind == b"moov":
            found.timescale, found.sample_duration = _moov_timing(body)
        elif kind == b"moof" and found.timescale:
            pending = _moof_samples(body)
        elif kind == b"mdat" and pending >= 0:
            found.fragments, found.samples, pending = found.fragments + 1, found.samples + pending, -1
        offset += size
        if kind in (b"moov", b"mdat") and pending < 0 and found.timescale:
            found.end = offset
    return found if found.timescale else None


def _read_at(f: BinaryIO, offset: int, n: int) -> bytes | None:
    f.seek(offset)
    data = f.read(n)
    return data if len(data) == n else None


def _children(body: bytes) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    i = 0
    while i + 8 <= len(body):
        size, kind = struct.unpack_from(">I4s", body, i)
        if size < 8:
            break
        out.setdefault(kind, body[i + 8 : i + size])
        i += size
    return out


def _moov_timing(moov: bytes) -> tuple[int, int]:
    mdhd = _children(_children(_children(moov).get(b"trak", b"")).get(b"mdia", b"")).get(b"mdhd", b"")
    trex = _children(_children(moov).get(b"mvex", b"")).get(b"trex", b"")
    if len(mdhd) < 16 or len(trex) < 16:
        return 0, 0
    return struct.unpack_from(">I", mdhd, 12)[0], struct.unpack_from(">I", trex, 12)[0]


def _moof_samples(moof: bytes) -> int:
    trun = _children(_children(moof).get(b"traf", b"")).get(b"trun", b"")
    return struct.unpack_from(">I", trun, 4)[0] if len(trun) >= 8 else -1


@dataclass
class JpegTrack:
    """Frames (BGR or gray uint8, all one size) into a fragmented MP4 at descriptor `fd`, a fragment
    every FRAGMENT_SECONDS of video; `sync` flushes each fragment to the disk as it is written.
    OSError from the disk (full, too large) reaches the caller, unlike OpenCV's writer's."""

    fd: int
    fps: float
    sync: bool = False
    frames: int = 0  # in whole fragments, written
    fragments: int = 0
    size: tuple[int, int] | None = None
    pending: list[bytes] = field(default_factory=list)
    pending_bytes: int = 0
    torn: bool = False  # a write or sync failed mid-fragment
    _encode: Encoder = field(default_factory=lambda: jpeg_encoder(JPEG_QUALITY), repr=False)

    def write(self, frame: np.ndarray) -> None:
        if self.size is None:
            head = init_segment(frame.shape[1], frame.shape[0], self._timescale, TICKS_PER_FRAME)
            self.torn = True
            self._put(head)
            self.size, self.torn = frame.shape[:2], False
        elif frame.shape[:2] != self.size:
            raise ValueError(f"a {frame.shape[1]}x{frame.shape[0]} frame in a {self.size[1]}x{self.size[0]} video")
        jpeg = self._encode(frame)
        if jpeg is None:
            raise ValueError(f"cannot encode a {frame.shape} frame as JPEG")
        self.pending.append(jpeg)
        self.pending_bytes += len(self.pending[-1])
        if len(self.pending) >= max(1, round(self.fps * FRAGMENT_SECONDS)) or self.pending_bytes >= FRAGMENT_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write the waiting frames as one fragment (and sync it). After a failed write nothing more is
        written: the file ends in a torn fragment, which `scan` cuts off."""
        if not self.pending or self.torn:
            return
        self.torn = True
        self._put(fragment(self.fragments + 1, self.frames * TICKS_PER_FRAME, TICKS_PER_FRAME, self.pending))
        if self.sync:
            os.fsync(self.fd)
        self.torn = False
        self.frames, self.fragments = self.frames + len(self.pending), self.fragments + 1
        self.pending, self.pending_bytes = [], 0

    @property
    def _timescale(self) -> int:
        return max(1, round(self.fps * TICKS_PER_FRAME))

    def _put(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
