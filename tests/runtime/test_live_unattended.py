"""`dae live` unattended (under systemd): a line of figures now and then without a terminal, and exit 1
when the source fails for good, so that the service manager restarts it."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import threading
import time

import pytest
from click.testing import CliRunner
from live_helpers import dae_command, frames_kept, no_display_env, one_error_line

from dae_runtime.cli import main
from dae_runtime.live.status_log import Counters, StatusLog, status_line
from dae_runtime.sources import CaptureSettings, SourceError, make_source
from videos import frames_in, write_paper_clip

LINE = re.compile(
    r"^live status: fps=(\d+\.\d) frames=(\d+) digits=(\d+\.\d) latency_ms=(\d+) viewers=(\d+)$", re.MULTILINE
)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory, digits):
    """150 frames of a page with 8 digits: a run of many times the tests' 0.01 s status interval."""
    path = tmp_path_factory.mktemp("clip") / "page.mp4"
    write_paper_clip(path, digits[:8], 150)
    return path


def test_the_status_line_gives_the_intervals_figures():
    before = Counters(frames=100, digits=800, latency=2.0, viewers=0)
    now = Counters(frames=400, digits=3200, latency=8.0, viewers=2)
    assert status_line(before, now, 10.0) == "live status: fps=30.0 frames=400 digits=8.0 latency_ms=20 viewers=2"
    assert status_line(now, now, 60.0) == "live status: fps=0.0 frames=400 digits=0.0 latency_ms=0 viewers=2"


def test_the_status_log_writes_a_line_per_interval_until_closed():
    lines: list[str] = []
    two = threading.Event()
    frames = iter(range(0, 10**6, 5))

    def echo(line: str) -> None:
        lines.append(line)
        if len(lines) >= 2:
            two.set()

    with StatusLog(lambda: Counters(frames=next(frames)), echo, seconds=0.01):
        assert two.wait(30)
    count = len(lines)
    time.sleep(0.05)
    assert len(lines) == count  # closed: no more lines
    assert all(LINE.match(line) for line in lines)
    with pytest.raises(ValueError):
        StatusLog(lambda: Counters(), echo, seconds=0)


def _live(clip, tmp_path, stdout) -> subprocess.Popen:
    env = {**no_display_env(), "DAE_LIVE_STATUS_SECONDS": "0.01"}
    cmd = [*dae_command(), "live", "--source", str(clip), "--headless", "--out", str(tmp_path / "out.mp4")]
    return subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.STDOUT, env=env)


def test_without_a_terminal_it_logs_its_figures(long_clip, tmp_path):
    proc = _live(long_clip, tmp_path, subprocess.PIPE)  # captured: not a tty, as under systemd
    output = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, output
    found = LINE.findall(output)
    assert found, output
    totals = [int(f[1]) for f in found]
    assert totals == sorted(totals) and totals[-1] <= 150
    busy = [f for f in found if float(f[0]) > 0]
    assert busy and all(6.0 <= float(f[2]) <= 8.0 for f in busy)  # 8 digits on the page
    assert all(f[4] == "0" for f in found)  # no --serve: nobody watching
    assert "150 frames" in output


def test_on_a_terminal_it_logs_no_figures(long_clip, tmp_path):
    leader, follower = pty.openpty()
    proc = _live(long_clip, tmp_path, follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    output = b"".join(chunks).decode(errors="replace")
    assert proc.wait(300) == 0, output
    assert "150 frames" in output and "live status:" not in output


def test_a_pi_camera_that_stops_giving_frames_ends_the_session_with_exit_1(picamera2, monkeypatch, tmp_path):
    from dae_runtime.sources import picam

    monkeypatch.setattr(picam, "FRAME_TIMEOUT_S", 0.2)
    picamera2.stall_after = 4  # then capture_array waits for ever unless given a timeout
    out = tmp_path / "picam.mp4"
    result = CliRunner().invoke(main, ["live", "--camera", "picam", "--headless", "--out", str(out)])
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "Pi camera 0 gave no frame for 0.2 s" in line
    (camera,) = picamera2.instances
    assert camera.calls[-3:] == ["cancel_all_and_flush", "stop", "close"] and camera.queued_jobs == 0
    assert 1 <= frames_in(out)[0] == frames_kept(line) <= 4


def test_a_picamera2_built_for_another_numpy_is_one_line(monkeypatch, tmp_path):
    # Bookworm's apt simplejpeg, imported by picamera2, raises this beside numpy 2 (picamera2 issue 1088).
    package = tmp_path / "picamera2"
    package.mkdir()
    message = "numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88"
    (package / "__init__.py").write_text(f"raise ValueError({message!r})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "picamera2", raising=False)
    result = CliRunner().invoke(main, ["live", "--camera", "picam", "--headless", "--out", str(tmp_path / "x.mp4")])
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "numpy.dtype size changed" in line and "pip install simplejpeg" in line


class _UnpluggedCapture:
    """cv2.VideoCapture's read() once the webcam is unplugged: (False, None)."""

    def read(self):
        return False, None

    def release(self):
        pass


def test_a_webcam_that_stops_giving_frames_is_an_error_not_the_end():
    camera = make_source("camera", "0", CaptureSettings())
    camera.capture = _UnpluggedCapture()
    with pytest.raises(SourceError, match="camera 0 stopped giving frames"):
        camera.read()
