"""kill -9 during `dae live --out` (issue 25, defect 10: the whole recording was lost, and its hidden
temporary file stayed for good).

The source is a 90 s video file at 30 fps, read as fast as the pipeline goes: the recording's own clock,
not wall time, reaches 60 s. The kill comes at a random moment after that; FFmpeg must then play at
least 50 s of what the next `dae live --out` into that folder recovered (the bound is one fragment: a
second of video). At the rename that publishes a finished recording, strace holds the call while we
kill: the earlier file stays whole, or the new one is whole, never a mix.
"""

import hashlib
import os
import signal
import subprocess
import time

import cv2
import numpy as np
import pytest
from fault_tools import DAE, dae, kill_at_rename, needs_strace, one_line_failure

from dae_runtime.fmp4 import scan
from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

FPS, SECONDS = 30, 90


def paper_video(path, seconds: float, size=(120, 160)) -> None:
    digits = synthetic_digits(4, seed=5)
    frames = [paper_frame(digits, size, scale=1, shift=(i % 3, i % 5)) for i in range(15)]
    video = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (size[1], size[0]))
    for i in range(round(seconds * FPS)):
        video.write(frames[i % len(frames)])
    video.release()


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sources")
    paper_video(folder / "long.mp4", SECONDS)
    paper_video(folder / "short.mp4", 1)
    return folder


def recorded_seconds(out) -> float:
    """Seconds in whole fragments of the recording in progress (only to time the kill)."""
    for path in out.glob(".live.*.rec.mp4"):
        try:
            with open(path, "rb") as f:
                found = scan(f)
        except OSError:
            continue
        return found.seconds if found else 0.0
    return 0.0


def live_until(args, out, seconds: float, extra: float):
    """Start `dae live ARGS`, kill -9 it `extra` s (wall) after its recording holds `seconds` of video."""
    proc = subprocess.Popen([str(DAE), *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 600
        while recorded_seconds(out) < seconds:
            assert proc.poll() is None, "dae live ended before the kill"
            assert time.monotonic() < deadline, "the recording did not reach its length"
            time.sleep(0.01)
        time.sleep(extra)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kill_at_a_random_moment_after_60_s_keeps_at_least_50_s(sources, tmp_path, seed):
    out = tmp_path / "out"
    out.mkdir()
    extra = float(np.random.default_rng(seed).uniform(0, 0.5))  # 0 to ~6 s more video at this speed
    args = ["live", "--source", sources / "long.mp4", "--headless", "--out", out / "live.mp4", "--full-frame"]
    live_until(args, out, 60, extra)
    hidden = [p.name for p in out.iterdir()]
    assert len(hidden) == 1 and hidden[0].endswith(".rec.mp4")  # no live.mp4: the run never finished

    again = dae("live", "--source", sources / "short.mp4", "--headless", "--out", out / "live.mp4")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Recovered " in again.stdout and "cut short" in again.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names[0] == "live.mp4" and names[1].startswith("live.recovered-") and len(names) == 2  # nothing hidden
    frames, shape = frames_in(out / names[1])
    assert frames / FPS >= 60  # every whole fragment seen before the kill plays: at least 50 s, as asked
    assert shape[0] == 120 and frames_in(out / "live.mp4")[0] == FPS


@needs_strace()
@pytest.mark.parametrize("when", ["before", "after"])
def test_kill_at_the_publishing_rename_leaves_a_whole_file(sources, tmp_path, when):
    out = tmp_path / "out"
    args = ["live", "--source", sources / "short.mp4", "--headless", "--out", out / "live.mp4"]
    assert dae(*args).returncode == 0
    before = hashlib.sha256((out / "live.mp4").read_bytes()).hexdigest()

    assert kill_at_rename([DAE, *args, "--full-frame"], 1, when, tmp_path / "strace.log")
    now = hashlib.sha256((out / "live.mp4").read_bytes()).hexdigest()
    assert (now == before) == (when == "before")  # the earlier file whole, or the new one
    assert frames_in(out / "live.mp4")[0] == FPS

    again = dae(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    names = sorted(p.name for p in out.iterdir())
    if when == "before":  # the killed run's finished recording was never published: it is recovered whole
        assert len(names) == 2 and names[1].startswith("live.recovered-")
        assert frames_in(out / names[1])[0] == FPS
    else:
        assert names == ["live.mp4"]


def test_a_disk_that_fills_mid_recording_keeps_what_was_recorded(sources, tmp_path):
    """A file-size limit of 1 MB stands in for a disk that fills up after a few seconds of video."""
    from fault_tools import file_size_limit

    out = tmp_path / "out"
    out.mkdir()
    (out / "live.mp4").write_bytes(b"an earlier recording")
    args = ("live", "--source", sources / "long.mp4", "--headless", "--out", out / "live.mp4", "--full-frame")
    text = one_line_failure(dae(*args, preexec_fn=file_size_limit(1 << 20)))
    assert f"could not write {out / 'live.mp4'}" in text and "nothing was replaced" in text
    assert (out / "live.mp4").read_bytes() == b"an earlier recording"
    kept = [p for p in out.iterdir() if p.name.startswith("live.recovered-")]
    assert len(kept) == 1 and f"are in {kept[0]}" in text
    assert frames_in(kept[0])[0] >= FPS  # at least a second was whole before the disk filled
    assert sorted(p.name for p in out.iterdir()) == sorted(["live.mp4", kept[0].name])
