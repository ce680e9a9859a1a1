"""Frame sources behind one interface: the registry, the Pi camera through a picamera2 stand-in, webcams."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.sources import CaptureSettings, FrameSource, SourceError, make_source, register, unregister
from dae_runtime.sources.picam import INSTALL_HINT, to_bgr
from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in


def test_a_new_source_is_one_registration(tmp_path):
    frames = [paper_frame(synthetic_digits(6, seed=1), shift=(i, 0)) for i in range(5)]

    @register("standin", "camera", accepts=lambda spec: spec == "standin", example="standin")
    class StandIn(FrameSource):
        name = "stand-in camera"
        opened = released = False

        def __init__(self, spec, settings):
            self.left = list(frames)

        def open(self):
            StandIn.opened = True

        def read(self):
            return self.left.pop(0) if self.left else None

        def release(self):
            StandIn.released = True

    try:
        assert isinstance(make_source("camera", "standin"), StandIn)
        out = tmp_path / "standin.mp4"
        result = CliRunner().invoke(main, ["live", "--camera", "standin", "--headless", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert StandIn.opened and StandIn.released
        # A camera that answers at once: frames that come while the loop is busy are dropped, as a live
        # source's must be; every frame processed is recorded.
        processed = int(re.search(r"^(\d+) frames, pipeline", result.output, re.MULTILINE).group(1))
        assert 1 <= frames_in(out)[0] == processed <= 5
    finally:
        unregister("standin")
    with pytest.raises(SourceError, match="unknown --camera 'standin'"):
        make_source("camera", "standin")


def test_specs_pick_their_sources():
    assert type(make_source("camera", "0")).__name__ == "OpenCVCamera"
    assert type(make_source("camera", "/dev/video2")).__name__ == "OpenCVCamera"
    assert type(make_source("camera", "picam")).__name__ == "PiCamera"
    assert make_source("camera", "picam:1").index == 1
    assert type(make_source("source", "rtsp://cam/stream")).__name__ == "StreamSource"
    assert make_source("source", "tcp://192.168.1.5:8888").live and not make_source("source", "clip.mp4").live


def test_picam_records_through_picamera2s_capture_path(picamera2, tmp_path):
    out = tmp_path / "x.mp4"
    args = ["live", "--camera", "picam", "--headless", "--out", str(out), "--max-frames", "20"]
    result = CliRunner().invoke(main, [*args, "--width", "320", "--height", "240", "--fps", "15"])
    assert result.exit_code == 0, result.output
    assert "20 frames" in result.output
    n, shape = frames_in(out)
    assert n == 20 and shape[0] == 240 and shape[1] > 320
    (camera,) = picamera2.instances
    assert camera.calls[:4] == ["__init__", "create_video_configuration", "configure", "start"]
    # The capture stage reads on while the last frames are processed: a few more frames than recorded.
    assert camera.calls.count("capture_array") >= 20 and camera.calls[-2:] == ["stop", "close"]
    assert camera.camera_config["main"]["size"] == (320, 240)
    assert camera.camera_config["controls"]["FrameRate"] == 15.0


@pytest.mark.parametrize("fmt", ["XBGR8888", "XRGB8888", "RGB888", "BGR888", "YUV420"])
def test_picam_frames_come_out_bgr_whatever_format_the_camera_gives(picamera2, fmt):
    picamera2.force_format = fmt  # e.g. a camera left at picamera2's XBGR8888 default
    source = make_source("camera", "picam", CaptureSettings(width=320, height=240))
    with source:
        frame = source.read()
    expected = paper_frame(synthetic_digits(6, seed=2), (240, 320), scale=1)
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    tolerance = 8 if fmt == "YUV420" else 0  # chroma subsampling
    assert np.abs(frame.astype(int) - expected).max() <= tolerance
    assert picamera2.instances[0].closed


def test_to_bgr_keeps_colour_order():
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 10  # blue
    bgr[..., 2] = 200  # red
    rgbx = np.dstack([bgr[..., 2], bgr[..., 1], bgr[..., 0], np.full((2, 2), 255, np.uint8)])
    assert (to_bgr(rgbx, "XBGR8888") == bgr).all()
    assert (to_bgr(np.dstack([bgr, np.full((2, 2), 255, np.uint8)]), "XRGB8888") == bgr).all()


def test_picam_errors_are_one_line(picamera2, monkeypatch, tmp_path):
    args = ["live", "--headless", "--out", str(tmp_path / "x.mp4"), "--max-frames", "2"]
    result = CliRunner().invoke(main, [*args, "--camera", "picam:1"])
    assert result.exit_code == 1 and "cannot open Pi camera 1" in result.output
    picamera2._in_use.add(0)  # another process holds the camera
    result = CliRunner().invoke(main, [*args, "--camera", "picam"])
    assert result.exit_code == 1 and "busy" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.mp4").exists()


def test_without_picamera2_it_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import picamera2 -> ImportError
    result = CliRunner().invoke(
        main, ["live", "--camera", "picam", "--headless", "--out", str(tmp_path / "x.mp4"), "--max-frames", "20"]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: {INSTALL_HINT}"]
    assert "sudo apt install python3-picamera2" in INSTALL_HINT and "--system-site-packages" in INSTALL_HINT


def test_a_webcam_that_does_not_exist_is_one_line(tmp_path):
    for spec in ("63", "/dev/video63"):
        result = CliRunner().invoke(main, ["live", "--camera", spec, "--headless", "--out", str(tmp_path / "x.mp4")])
        assert result.exit_code == 1, result.output
        assert f"cannot open camera {spec}" in result.output and len(result.output.strip().splitlines()) == 1


def test_stream_names_hide_passwords():
    from dae_runtime.sources.stream import display_name

    assert display_name("rtsp://admin:secret@10.0.0.5:554/live") == "rtsp://10.0.0.5:554/live"
    assert display_name("http://phone:8080/video") == "http://phone:8080/video"
    assert "secret" not in make_source("source", "rtsp://admin:secret@cam/x").name
