"""`dae live --serve`: the live view in browsers, with no display, as a real process."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from live_helpers import LiveProcess, MJPEGCamera, dae_command, no_display_env, read_mjpeg

from dae_runtime.live.frame_hub import MAX_VIEWERS


@pytest.fixture(scope="module")
def camera():
    camera = MJPEGCamera(fps=30).start()
    yield camera
    camera.stop()


CREDENTIALS = "?user=admin&password=hunter2&channel=1"  # as some IP cameras take them (issue 25, 9)


@pytest.fixture(scope="module")
def served(camera):
    """dae live reading the MJPEG camera (its URL with credentials) and serving on 127.0.0.1, with no DISPLAY."""
    live = LiveProcess("--source", camera.url + CREDENTIALS).wait_for_frames()
    yield live
    live.close()


def test_stats_are_json_with_the_live_figures(served):
    stats = served.get_json("/stats")
    for key in ("pipeline_fps", "latency_ms", "digits", "noise", "mode", "model", "precision", "source", "viewers"):
        assert key in stats, stats
    assert stats["pipeline_fps"] > 0 and stats["digits"] == 8 and stats["mode"] == "digits"
    assert stats["precision"] == "int8" and stats["model"].endswith(".onnx") and stats["source"].startswith("http")


def test_credentials_in_the_stream_url_are_not_shown_to_viewers(served, camera):
    source = served.get_json("/stats")["source"]
    assert source == camera.url + "?channel=1" and "hunter2" not in "".join(served.lines)


def control(url: str, action: str, header: bool = True):
    headers = {"X-Dae-Control": "1"} if header else {}
    request = urllib.request.Request(f"{url}/control?action={action}", method="POST", headers=headers)
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


def test_buttons_change_noise_and_mode(served):
    before = served.get_json("/stats")["noise"]
    with pytest.raises(urllib.error.HTTPError, match="403"):
        control(served.url, "noise_up", header=False)  # what a form on another web site could send
    assert control(served.url, "noise_up") == {"queued": "noise_up"}
    deadline = time.monotonic() + 10
    while served.get_json("/stats")["noise"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served.get_json("/stats")["noise"] == pytest.approx(before + 0.05)
    control(served.url, "noise_down")
    control(served.url, "mode")
    deadline = time.monotonic() + 10
    while served.get_json("/stats")["mode"] == "digits" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert served.get_json("/stats")["mode"] == "full frame"
    control(served.url, "mode")
    while served.get_json("/stats")["mode"] != "digits" and time.monotonic() < deadline + 10:
        time.sleep(0.1)
    with pytest.raises(urllib.error.HTTPError, match="404"):
        control(served.url, "format_disk")


def test_several_viewers_at_once_each_get_the_moving_picture(served):
    results = [[] for _ in range(3)]
    threads = [threading.Thread(target=read_mjpeg, args=(served.url + "/stream.mjpg", 3.0, r)) for r in results]
    for t in threads:
        t.start()
    time.sleep(1.0)
    assert served.get_json("/stats")["viewers"] == 3
    for t in threads:
        t.join(20)
    for frames in results:
        assert len(frames) >= 3, [len(r) for r in results]
        views = [cv2.imdecode(np.frombuffer(f, np.uint8), cv2.IMREAD_COLOR) for f in frames]
        assert all(v.shape[0] == 480 and v.shape[1] > 640 for v in views)
        assert len({f for f in frames}) > 1  # the picture moves: not one frame over and over


def test_viewers_beyond_the_bound_are_turned_away(served):
    stop = threading.Event()
    holders = []
    for _ in range(MAX_VIEWERS):
        response = urllib.request.urlopen(served.url + "/stream.mjpg", timeout=10)
        holders.append(response)
    try:
        with pytest.raises(urllib.error.HTTPError, match="503"):
            urllib.request.urlopen(served.url + "/stream.mjpg", timeout=10)
        assert served.get_json("/stats")["pipeline_fps"] > 0  # the camera loop went on
    finally:
        stop.set()
        for r in holders:
            r.close()
    deadline = time.monotonic() + 15  # the slots free up when the viewers leave
    while served.get_json("/stats")["viewers"] > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served.get_json("/stats")["viewers"] == 0


def test_without_a_display_it_says_to_use_headless_or_serve(tmp_path):
    video = tmp_path / "paper.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 15, (320, 240))
    writer.write(np.full((240, 320, 3), 220, np.uint8))
    writer.release()
    result = subprocess.run(
        [*dae_command(), "live", "--source", str(video)],
        capture_output=True,
        text=True,
        env=no_display_env(),
        timeout=120,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)  # not 134: Qt never got to abort
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "--headless" in lines[0] and "--serve" in lines[0], lines


def test_serve_works_together_with_headless_out(camera, tmp_path):
    out = tmp_path / "live.mp4"
    live = LiveProcess("--source", camera.url, "--headless", "--out", str(out), "--max-frames", "60")
    try:
        frames = []
        read_mjpeg(live.url + "/stream.mjpg", 1.0, frames)
        assert frames
        assert live.proc.wait(60) == 0, "".join(live.lines)
    finally:
        live.close()
    assert "60 frames" in "".join(live.lines) and out.stat().st_size > 0


def test_an_out_folder_that_cannot_be_written_is_one_line_before_the_camera_opens(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [*dae_command(), "live", "--camera", "picam", "--headless", "--out", str(blocker / "x.mp4")],
        capture_output=True,
        text=True,
        env=no_display_env(),
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot write --out {blocker / 'x.mp4'}: the folder {blocker} is not writable"
    ]
    assert Path(blocker).read_text() == "not a folder"


@pytest.mark.parametrize(
    "out, code, error",
    [
        ("-", 2, "Invalid value for '--out': give a file name ('./-' for a file named '-'); '-' is not stdout here"),
        ("live", 1, "cannot write --out live: give a video file name such as live.mp4"),
    ],
)
def test_an_out_without_a_video_suffix_is_one_line_before_the_camera_opens(out, code, error, tmp_path):
    """OpenCV picks the container by the suffix: without one it failed only at the first frame.
    '-' is a usage error (exit 2, after click's usage lines), as for every output option."""
    result = subprocess.run(
        [*dae_command(), "live", "--camera", "picam", "--headless", "--out", out],
        capture_output=True,
        text=True,
        env=no_display_env(),
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == code
    lines = result.stderr.strip().splitlines()
    assert lines[-1] == f"Error: {error}" and (code == 2 or len(lines) == 1)
    assert list(tmp_path.iterdir()) == []


def test_serve_addresses():
    from click.testing import CliRunner

    from dae_runtime.cli import main
    from dae_runtime.live.serve import parse_address

    assert parse_address("4912") == ("127.0.0.1", 4912)
    assert parse_address("0.0.0.0:4912") == ("0.0.0.0", 4912)
    assert parse_address("[::1]:8080") == ("::1", 8080)
    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", "--serve", "port80"])
    assert result.exit_code == 2 and "is not [HOST:]PORT" in result.output


TOKEN = "0123456789abcdef-_.~"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--serve", "4912", "--serve-token", "short"], "use 16 to 256 letters"),
        (["--serve", "4912", "--serve-token", "0123456789abcdef ghi"], "use 16 to 256 letters"),
        (["--serve", "4912", "--serve-token", "0123456789abcdéf"], "use 16 to 256 letters"),
        (["--serve", "4912", "--serve-token", TOKEN, "--no-token"], "give --serve-token TOKEN or --no-token, not both"),
        (["--serve-token", TOKEN], "--serve-token, --no-token and --serve-fps go with --serve"),
        (["--no-token"], "--serve-token, --no-token and --serve-fps go with --serve"),
        (["--serve-fps", "10"], "--serve-token, --no-token and --serve-fps go with --serve"),
    ],
)
def test_token_options_that_cannot_work_are_usage_errors(args, message):
    from click.testing import CliRunner

    from dae_runtime.cli import main

    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    if "--serve-token" in args and "16 to 256" in message:
        assert "Invalid value for '--serve-token'" in result.output


def test_a_bad_token_in_the_environment_is_named_as_such():
    from click.testing import CliRunner

    from dae_runtime.cli import main

    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", "--serve", "4912"], env={"DAE_LIVE_TOKEN": "x"})
    assert result.exit_code == 2 and "Invalid value for $DAE_LIVE_TOKEN: use 16 to 256" in result.output


def test_the_help_states_the_request_deadline():
    from click.testing import CliRunner

    from dae_runtime.cli import main
    from dae_runtime.live.http_limits import REQUEST_DEADLINE

    help_text = " ".join(CliRunner().invoke(main, ["live", "--help"]).output.split())
    assert f"each sent within {REQUEST_DEADLINE:g} s" in help_text


@pytest.mark.parametrize(
    "args, env, serve, warned",
    [
        (["--serve", "0.0.0.0:4912"], {}, ("0.0.0.0", 4912, None, False), False),  # the server makes one
        (["--serve", "0.0.0.0:4912", "--no-token"], {}, ("0.0.0.0", 4912, None, True), True),
        (["--serve", "4912", "--no-token"], {}, ("127.0.0.1", 4912, None, True), False),  # loopback: none anyway
        (["--serve", "4912", "--serve-token", TOKEN], {}, ("127.0.0.1", 4912, TOKEN, False), False),
        (["--serve", "4912"], {"DAE_LIVE_TOKEN": TOKEN}, ("127.0.0.1", 4912, TOKEN, False), False),  # not in ps
        (["--serve", "0.0.0.0:4912", "--no-token"], {"DAE_LIVE_TOKEN": TOKEN}, ("0.0.0.0", 4912, None, True), True),
        ([], {"DAE_LIVE_TOKEN": TOKEN}, None, False),  # no --serve: the variable is not for this run
        ([], {"DAE_LIVE_TOKEN": "short"}, None, False),  # not even checked
    ],
)
def test_token_options_reach_the_server_and_no_token_on_the_lan_warns(monkeypatch, args, env, serve, warned):
    from click.testing import CliRunner

    from dae_runtime.cli import main
    from dae_runtime.live import session
    from dae_runtime.live.pipeline import LiveError

    seen = []

    def run_session(pipeline, source, options, echo):
        seen.append(options.serve)
        raise LiveError("stopped by the test")

    monkeypatch.setattr(session, "run_session", run_session)
    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", "--headless", "--out", "x.mp4", *args], env=env)
    assert result.exit_code == 1 and seen == [serve], result.output
    lines = result.output.splitlines()
    assert lines[-1] == "Error: stopped by the test"
    warning = "Warning: --no-token: anyone who can reach port 4912 of this machine can watch the camera and press"
    assert lines[:-1] == ([f"{warning} the buttons"] if warned else [])
