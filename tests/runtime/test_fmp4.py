"""The hand-written fragmented MP4 (dae_runtime.fmp4) against FFmpeg, the library that plays it.

FFmpeg (through OpenCV) must read back every frame at its exact size and rate, the frames must be the
JPEGs written (libjpeg's own decode of the same bytes), and a file cut at any byte must play exactly
the whole fragments `scan` reports.
"""

from __future__ import annotations

import io
import os

import cv2
import numpy as np
import pytest

from dae_runtime import fmp4
from dae_runtime.synthetic import paper_frame, synthetic_digits


def read_all(path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames, capture.get(cv2.CAP_PROP_FPS)
            frames.append(frame)
    finally:
        capture.release()


def paper_frames(n: int, size: tuple[int, int], gray: bool = False) -> list[np.ndarray]:
    digits = synthetic_digits(6, seed=2)
    frames = [paper_frame(digits, size, scale=1, shift=(i % 3, i % 4)) for i in range(n)]
    return [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames] if gray else frames


def write_track(path, frames, fps: float) -> fmp4.JpegTrack:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        track = fmp4.JpegTrack(fd, fps)
        for frame in frames:
            track.write(frame)
        track.flush()
    finally:
        os.close(fd)
    return track


@pytest.mark.parametrize(
    "size, fps, gray",
    [((479, 641), 30.0, False), ((480, 640), 29.97, False), ((33, 17), 12.5, True), ((1, 1), 1.0, False)],
)
def test_ffmpeg_reads_every_frame_at_its_exact_size_and_rate(tmp_path, size, fps, gray):
    per_fragment = max(1, round(fps * fmp4.FRAGMENT_SECONDS))
    frames = paper_frames(2 * per_fragment + 3, size, gray)  # whole fragments and a short last one
    path = tmp_path / "v.mp4"
    track = write_track(path, frames, fps)
    assert track.fragments == -(-len(frames) // per_fragment) and track.frames == len(frames)
    got, rate = read_all(path)
    assert len(got) == len(frames) and got[0].shape[:2] == size
    assert rate == pytest.approx(fps, rel=1e-3)
    for frame, back in zip(frames, got, strict=True):
        jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, fmp4.JPEG_QUALITY])[1]
        ref = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)  # FFmpeg's and libjpeg's decoders round apart
        assert np.abs(back.astype(int) - ref).mean() < 1.5


def test_the_quality_is_that_of_jpeg_80(tmp_path):
    frames = paper_frames(10, (240, 320))
    path = tmp_path / "v.mp4"
    write_track(path, frames, 10)
    got, _ = read_all(path)
    assert min(cv2.PSNR(a, b) for a, b in zip(frames, got, strict=True)) > 30


def test_a_file_cut_anywhere_plays_its_whole_fragments(tmp_path):
    jpegs = [cv2.imencode(".jpg", f)[1].tobytes() for f in paper_frames(23, (120, 161))]
    parts = [fmp4.init_segment(161, 120, 5000, 1000)]  # 5 fps: fragments of 5 frames, the last of 3
    parts += [fmp4.fragment(k // 5 + 1, k * 1000, 1000, jpegs[k : k + 5]) for k in range(0, 23, 5)]
    data = b"".join(parts)
    ends = np.cumsum([len(p) for p in parts])  # where the init segment and each fragment end
    rng = np.random.default_rng(0)
    for cut in [ends[0] - 1, *ends, *(ends[1:] - 1), *(ends[:-1] + 9), *rng.integers(ends[0], len(data), 12)]:
        found = fmp4.scan(io.BytesIO(data[:cut]))
        if cut < ends[0]:
            assert found is None  # not even the track's description: nothing to recover
            continue
        whole = int(np.sum(ends[1:] <= cut))
        assert (found.end, found.fragments) == (ends[whole], whole)
        assert found.samples == min(5 * whole, 23) and found.seconds == pytest.approx(found.samples / 5)
        cut_path = tmp_path / "cut.mp4"
        cut_path.write_bytes(data[: found.end])
        assert len(read_all(cut_path)[0]) == found.samples  # what scan promises is what FFmpeg plays
    assert fmp4.scan(io.BytesIO(b"\0\0\0\x10mdat" + bytes(8))) is None  # not a file this module wrote


def test_a_full_disk_is_an_oserror_and_stops_writing(tmp_path):
    """Writes through os.write: a full disk raises (OpenCV's writer stays silent). /dev/full is one."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        track = fmp4.JpegTrack(fd, 10)
        with pytest.raises(OSError):
            track.write(paper_frames(1, (32, 32))[0])
        assert track.torn
        track.flush()  # nothing more is tried once torn
    finally:
        os.close(fd)


def test_frames_of_another_size_or_too_big_are_refused(tmp_path):
    fd = os.open(tmp_path / "v.mp4", os.O_WRONLY | os.O_CREAT)
    try:
        track = fmp4.JpegTrack(fd, 10)
        track.write(np.zeros((16, 16, 3), np.uint8))
        with pytest.raises(ValueError, match="16x16 video"):
            track.write(np.zeros((16, 18, 3), np.uint8))
    finally:
        os.close(fd)
    with pytest.raises(ValueError, match="does not fit"):
        fmp4.init_segment(1 << 16, 10, 30000, 1000)


def test_a_box_claiming_gigabytes_is_not_read(tmp_path):
    """scan reads only files with dae's own names, but a torn or foreign header must not cost memory."""
    asked = []

    class Reads(io.BytesIO):
        def read(self, n=-1):
            asked.append(n)
            return super().read(n)

    head = fmp4.init_segment(16, 16, 10000, 1000)
    found = fmp4.scan(Reads(head + b"\xff\xff\xff\xf0moof" + bytes(64)))
    assert found is not None and found.end == len(head) and found.fragments == 0
    assert max(asked) <= fmp4.MAX_INDEX_BOX
