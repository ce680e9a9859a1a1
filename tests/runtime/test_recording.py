"""`dae live --out` recordings (dae_runtime.recording): what a killed one leaves is finalised by the
next run, only dae's own names are touched, and a failed one never replaces the earlier file."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from dae_runtime.fmp4 import JpegTrack, scan
from dae_runtime.recording import recording, recover_recordings
from dae_runtime.video_out import VideoWriteError
from videos import frames_in

RECOVERED = re.compile(r"live\.recovered-\d{8}-\d{6}\.mp4")


def frame(i: int, size=(48, 63)) -> np.ndarray:
    return np.full((*size, 3), (i * 7) % 256, np.uint8)


def killed_recording(path, frames: int, fps: float = 10, cut: int = 0, flush: bool = True) -> None:
    """What kill -9 leaves: the fragments written so far, the last one cut short by `cut` bytes (or,
    without `flush`, the frames still waiting for their fragment lost)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        track = JpegTrack(fd, fps)
        for i in range(frames):
            track.write(frame(i))
        if flush:
            track.flush()
    finally:
        os.close(fd)
    if cut:
        os.truncate(path, os.path.getsize(path) - cut)


def test_a_recording_is_renamed_into_place_whole(tmp_path):
    target = tmp_path / "live.mp4"
    target.write_bytes(b"an earlier recording")
    with recording(target, 10) as video:
        for i in range(25):
            video.write(frame(i))
        assert target.read_bytes() == b"an earlier recording"  # untouched until the end
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".rec.mp4")]
    assert frames_in(target) == (25, (48, 63, 3))
    assert [p.name for p in tmp_path.iterdir()] == ["live.mp4"]


def test_what_a_killed_run_left_is_finalised_by_the_next(tmp_path):
    killed_recording(tmp_path / ".live.abcd1234.rec.mp4", 35, cut=100)  # killed mid-fragment: 30 frames whole
    killed_recording(tmp_path / ".live.zzzz9999.rec.mp4", 4, flush=False)  # under a fragment: nothing whole
    (tmp_path / ".live.qqqq0000.rec.mp4").write_bytes(b"")  # killed before its first byte
    (tmp_path / ".live.oldr_lse.tmp.mp4").write_bytes(b"\0\0\0\x1cftyp")  # an earlier release's, unplayable
    found = recover_recordings(tmp_path)
    assert len(found) == 1 and RECOVERED.fullmatch(found[0][0].name) and found[0][1] == pytest.approx(3.0)
    assert frames_in(found[0][0])[0] == 30
    with open(found[0][0], "rb") as f:
        assert scan(f).end == found[0][0].stat().st_size  # the torn fragment was cut off
    assert [p.name for p in tmp_path.iterdir()] == [found[0][0].name]
    assert recover_recordings(tmp_path) == []  # nothing twice


def test_recovery_touches_nothing_but_dae_own_unlocked_names(tmp_path):
    users = ["live.mp4", ".live.mp4", ".live.backup.rec.mp4", ".live.abcd1234.rec.avi", "x.abcd1234.rec.mp4"]
    for name in users:
        killed_recording(tmp_path / name, 12)
    live = tmp_path / ".live.abcd1234.rec.mp4"  # a recording another dae live is making right now
    killed_recording(live, 12)
    held = os.open(live, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        assert recover_recordings(tmp_path) == []
    finally:
        os.close(held)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*users, live.name])
    assert [p.name for p, _ in recover_recordings(tmp_path)] != []  # its writer gone, it is recovered


def test_a_recovered_name_never_replaces_a_file(tmp_path):
    for key in ("aaaa1111", "bbbb2222"):
        killed_recording(tmp_path / f".live.{key}.rec.mp4", 10)
        os.utime(tmp_path / f".live.{key}.rec.mp4", (1e9, 1e9))  # the same second
    names = sorted(p.name for p, _ in recover_recordings(tmp_path))
    assert len(names) == 2 and names[0] != names[1]
    assert all(frames_in(tmp_path / name)[0] == 10 for name in names)


def test_names_with_a_newline_or_an_upper_case_suffix_are_recovered_too(tmp_path):
    # `dae live --out LIVE.MP4` is accepted and a stem may hold a newline: their leftovers stayed hidden.
    killed_recording(tmp_path / ".a\nb.abcd1234.rec.mp4", 10)
    killed_recording(tmp_path / ".LIVE.abcd1234.rec.MP4", 10)
    names = sorted(p.name for p, _ in recover_recordings(tmp_path))
    assert [re.sub(r"\d{8}-\d{6}", "T", n) for n in names] == ["LIVE.recovered-T.MP4", "a\nb.recovered-T.mp4"]
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_a_recovered_recording_keeps_the_time_it_stopped(tmp_path):
    # In its name and its mtime; cutting the torn fragment off once gave both the time of the recovery.
    killed = tmp_path / ".live.abcd1234.rec.mp4"
    killed_recording(killed, 15, cut=100)
    os.utime(killed, (1e9, 1e9))
    ((path, _),) = recover_recordings(tmp_path)
    assert path.name == time.strftime("live.recovered-%Y%m%d-%H%M%S.mp4", time.localtime(1e9))
    assert path.stat().st_mtime == 1e9


def test_a_failed_recording_keeps_its_whole_fragments_beside_the_untouched_target(tmp_path, monkeypatch):
    target = tmp_path / "live.mp4"
    target.write_bytes(b"an earlier recording")
    real_write, calls = os.write, []

    def disk_fills(fd, data):
        calls.append(len(data))
        if len(calls) > 3:  # the init segment and two fragments went through
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", disk_fills)
    with pytest.raises(VideoWriteError) as failure:
        with recording(target, 10) as video:
            for i in range(100):
                video.write(frame(i))
    monkeypatch.undo()
    message = str(failure.value)
    assert message.startswith(f"could not write {target} (No space left on device); nothing was replaced")
    assert target.read_bytes() == b"an earlier recording"
    kept = [p for p in tmp_path.iterdir() if RECOVERED.fullmatch(p.name)]
    assert len(kept) == 1 and f"the 2.0 s recorded before are in {kept[0]}" in message
    assert frames_in(kept[0])[0] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["live.mp4", kept[0].name])


@pytest.mark.parametrize("unlink_fails", [True, False])
def test_frames_that_cannot_be_kept_aside_now_stay_for_the_next_run(tmp_path, monkeypatch, unlink_fails):
    # An SD card remounted read-only after an I/O error: the write fails, and so does renaming the whole
    # fragments aside. Before: the hidden file was removed anyway (the recording lost) or, as unlink
    # failed too, an OSError escaped with a traceback.
    real_write, calls = os.write, []

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    def write(fd, data):
        calls.append(len(data))
        return read_only() if len(calls) > 3 else real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "link", read_only)
    monkeypatch.setattr(os, "rename", read_only)
    if unlink_fails:
        monkeypatch.setattr(Path, "unlink", read_only)
    with pytest.raises(VideoWriteError) as failure:
        with recording(tmp_path / "live.mp4", 10) as video:
            for i in range(100):
                video.write(frame(i))
    monkeypatch.undo()
    (hidden,) = tmp_path.iterdir()
    assert f"what was recorded stays in {hidden}, which the next dae live --out" in str(failure.value)
    ((recovered, seconds),) = recover_recordings(tmp_path)
    assert seconds == 2.0 and frames_in(recovered)[0] == 20


def test_a_recovered_name_is_never_renamed_over_even_if_taken_after_the_check(tmp_path, monkeypatch):
    # Two dae live recovering the same second in one folder: each found the name free, then renamed.
    killed = tmp_path / ".live.abcd1234.rec.mp4"
    killed_recording(killed, 10)
    os.utime(killed, (1e9, 1e9))
    taken = tmp_path / time.strftime("live.recovered-%Y%m%d-%H%M%S.mp4", time.localtime(1e9))
    taken.write_bytes(b"the other one's")
    monkeypatch.setattr(Path, "exists", lambda self: False)  # taken between the check and the rename
    ((path, _),) = recover_recordings(tmp_path)
    monkeypatch.undo()
    assert taken.read_bytes() == b"the other one's" and path.name == taken.name.replace(".mp4", "-2.mp4")


def test_a_killed_recording_with_no_free_name_stays_hidden_without_a_traceback(tmp_path):
    killed = tmp_path / ".live.abcd1234.rec.mp4"
    killed_recording(killed, 10)
    os.utime(killed, (1e9, 1e9))
    name = time.strftime("live.recovered-%Y%m%d-%H%M%S", time.localtime(1e9))
    for n in range(1, 1000):
        (tmp_path / f"{name}{'' if n == 1 else f'-{n}'}.mp4").write_bytes(b"")
    assert recover_recordings(tmp_path) == [] and killed.exists()  # StopIteration escaped before


def test_a_session_that_fails_otherwise_keeps_its_frames_too(tmp_path):
    with pytest.raises(RuntimeError):
        with recording(tmp_path / "live.mp4", 10) as video:
            for i in range(15):
                video.write(frame(i))
            raise RuntimeError("the pipeline broke")
    (kept,) = tmp_path.iterdir()
    assert RECOVERED.fullmatch(kept.name) and frames_in(kept)[0] == 15  # the waiting frames were written too


def test_no_frame_is_no_file(tmp_path):
    with pytest.raises(VideoWriteError, match="no frame to write"):
        with recording(tmp_path / "live.mp4", 10):
            pass
    assert list(tmp_path.iterdir()) == []


def test_starting_a_recording_never_deletes_a_killed_one(tmp_path):
    # Only the next run's recovery finalises it (dae live does that first); a writer must not remove it.
    killed = tmp_path / ".live.abcd1234.rec.mp4"
    killed_recording(killed, 12)
    with recording(tmp_path / "live.mp4", 10) as video:
        video.write(frame(0))
    assert killed.exists() and frames_in(tmp_path / "live.mp4")[0] == 1
