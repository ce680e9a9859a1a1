"""Network cameras: an MJPEG-over-HTTP camera on 127.0.0.1 that drops for two seconds and comes back."""

from __future__ import annotations

import threading
import time

import cv2
from click.testing import CliRunner
from live_helpers import MJPEGCamera, free_port

from dae_runtime.cli import main


def test_a_stream_that_drops_for_two_seconds_resumes(tmp_path):
    camera = MJPEGCamera(fps=30).start()
    out = tmp_path / "live.mp4"
    dropped = {}

    def drop_and_resume():
        while camera.served < 30:  # about a second of frames reached dae live
            if time.monotonic() - started > 30:
                return
            time.sleep(0.05)
        camera.stop()
        dropped["at"] = camera.served
        time.sleep(2.0)
        camera.start()

    started = time.monotonic()
    thread = threading.Thread(target=drop_and_resume, daemon=True)
    thread.start()
    try:
        args = ["live", "--source", camera.url, "--headless", "--out", str(out), "--max-frames", "90"]
        result = CliRunner().invoke(main, args)
    finally:
        thread.join(10)
        camera.stop()
    assert result.exit_code == 0, result.output
    assert "at" in dropped, "the camera never dropped: the test did not test anything"
    assert "stream dropped, reconnecting" in result.output and "stream back after" in result.output
    assert "90 frames" in result.output
    assert camera.served > dropped["at"]  # frames after the drop reached the session
    capture, n = cv2.VideoCapture(str(out)), 0
    while capture.read()[0]:
        n += 1
    assert n == 90


def test_a_stream_that_never_opens_is_one_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/stream.mjpg"  # nothing listens there
    started = time.monotonic()
    result = CliRunner().invoke(main, ["live", "--source", url, "--headless", "--out", str(tmp_path / "x.mp4")])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: cannot open stream {url}"
    assert time.monotonic() - started < 30 and not (tmp_path / "x.mp4").exists()
