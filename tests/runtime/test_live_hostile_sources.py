"""`dae live` against sources that fail: mid-session, at the start, at the end, or with a nonsense argument."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from live_helpers import frames_kept, one_error_line

from dae_runtime.cli import main
from dae_runtime.sources import FrameSource, SourceError, register, unregister
from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in


def test_a_source_that_fails_mid_session_keeps_the_video_recorded_so_far(tmp_path):
    # Like a network stream that stays away past its reconnect time: one line, exit 1, and the frames
    # already written stay in --out.
    @register("failing", "camera", accepts=lambda spec: spec == "failing", example="failing")
    class Failing(FrameSource):
        def __init__(self, spec, settings):
            self.left = 4

        def open(self):
            pass

        def read(self):
            if not self.left:
                raise SourceError("the stand-in camera went away")
            self.left -= 1
            return paper_frame(synthetic_digits(4, seed=1), (240, 320))

        def release(self):
            pass

    out = tmp_path / "kept.mp4"
    try:
        result = CliRunner().invoke(main, ["live", "--camera", "failing", "--headless", "--out", str(out)])
    finally:
        unregister("failing")
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "went away" in line and 1 <= frames_in(out)[0] == frames_kept(line) <= 4


def test_a_pi_camera_that_fails_mid_session_is_one_line_and_keeps_the_video(picamera2, monkeypatch, tmp_path):
    capture = picamera2.capture_array

    def failing_capture(self, name="main", wait=None):
        if self.frame >= 3:
            raise RuntimeError("Camera frontend has timed out!")  # what libcamera says when the ribbon slips
        return capture(self, name, wait)

    monkeypatch.setattr(picamera2, "capture_array", failing_capture)
    out = tmp_path / "picam.mp4"
    result = CliRunner().invoke(main, ["live", "--camera", "picam", "--headless", "--out", str(out)])
    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "timed out" in line and 1 <= frames_in(out)[0] == frames_kept(line) <= 3 and picamera2.instances[0].closed


@pytest.mark.parametrize("step", ["global_camera_info", "stop", "close"])
def test_a_pi_camera_that_fails_to_list_or_stop_is_one_line_or_none(picamera2, monkeypatch, tmp_path, step):
    def fail(*args, **kwargs):
        raise RuntimeError(f"libcamera: {step} failed")

    monkeypatch.setattr(picamera2, step, staticmethod(fail) if step == "global_camera_info" else fail)
    out = tmp_path / "x.mp4"
    args = ["live", "--camera", "picam", "--headless", "--out", str(out), "--max-frames", "3"]
    result = CliRunner().invoke(main, args)
    if step == "global_camera_info":  # before any frame: an error, no video
        assert result.exit_code == 1 and "failed" in one_error_line(result.output) and not out.exists()
    else:  # after the last frame: the video is whole and the session ends as usual
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and frames_in(out)[0] == 3


def test_the_give_up_line_of_a_stream_does_not_print_its_password():
    import cv2

    from dae_runtime.sources import CaptureSettings, make_source

    source = make_source("source", "rtsp://admin:secret@127.0.0.1:9/live", CaptureSettings(reconnect_seconds=0))
    source.capture, source.notify = cv2.VideoCapture(), lambda message: None
    with pytest.raises(SourceError, match="did not come back") as error:
        source._reconnect()
    assert "secret" not in str(error.value) and "127.0.0.1:9/live" in str(error.value)


def test_a_webcam_index_too_big_for_opencv_is_one_line(tmp_path):
    out = tmp_path / "x.mp4"
    result = CliRunner().invoke(main, ["live", "--camera", "99999999999999999999", "--headless", "--out", str(out)])
    assert result.exit_code in (1, 2)
    assert "camera 99999999999999999999" in one_error_line(result.output) and not out.exists()


@pytest.mark.parametrize(
    "url, shown",
    [
        ("http://cam/videostream.cgi?user=admin&pwd=hunter2&res=1", "http://cam/videostream.cgi?res=1"),
        ("http://cam/live?channel=1&password=hunter2", "http://cam/live?channel=1"),
        ("http://cam/s?usr=admin;Passwd=hunter2;stream=0", "http://cam/s?stream=0"),
        ("http://cam/s?token=hunter2&api_key=hunter2&AUTH=hunter2&sig=hunter2&fps=5", "http://cam/s?fps=5"),
        ("http://cam/s?access%5Ftoken=hunter2", "http://cam/s"),
        ("rtsp://admin:hunter2@[::1]:554/s?login=admin&q=2", "rtsp://[::1]:554/s?q=2"),
        ("http://admin:hunter2@cam:notaport/s", "http://cam:notaport/s"),  # urllib's .port raised here
        ("http://admin:hunter2@[cam/s", "http://(a URL that does not parse)"),  # urlsplit raised here
        # In the path (XMEye-style cameras), path parameters and the fragment: shown in full before.
        ("rtsp://cam:554/user=admin_password=hunter2_channel=1_stream=0.sdp?", "rtsp://cam:554/(hidden)"),
        ("rtsp://cam/user=admin&password=hunter2&channel=1&stream=0.sdp", "rtsp://cam/(hidden)"),
        ("http://cam/live/s;pwd=hunter2/x", "http://cam/live/(hidden)/x"),
        ("http://cam/s#password=hunter2", "http://cam/s"),
    ],
)
def test_credentials_in_a_stream_url_are_hidden_like_user_and_password(url, shown):
    # The name goes into the overlay, /stats and every line about the stream (issue 25, 9).
    from dae_runtime.sources.stream import display_name

    assert display_name(url) == shown


@pytest.mark.parametrize("url", ["http://admin:hunter2@[127.0.0.1/s", "http://admin:hunter2@127.0.0.1:notaport/s"])
def test_a_stream_url_that_does_not_parse_is_one_line_without_its_password(url, tmp_path):
    out = tmp_path / "x.mp4"
    result = CliRunner().invoke(main, ["live", "--source", url, "--headless", "--out", str(out)])
    assert result.exit_code == 1 and "cannot open stream" in one_error_line(result.output)
    assert "hunter2" not in result.output and not out.exists()
