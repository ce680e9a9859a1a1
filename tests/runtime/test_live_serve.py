"""`dae live --serve`: the live view in browsers, with no display, as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
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


@pytest.fixture(scope="module")
def served(camera):
    """dae live reading the MJPEG camera and serving on 127.0.0.1, with no DISPLAY."""
    live = LiveProcess("--source", camera.url)
    deadline = time.monotonic() + 60
    while get_json(live.url + "/stats")["frames"] < 5 and time.monotonic() < deadline:
        time.sleep(0.1)  # the first frames: the model loads, the stream opens
    yield live
    live.close()


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())


def test_stats_are_json_with_the_live_figures(served):
    stats = get_json(served.url + "/stats")
    for key in ("pipeline_fps", "latency_ms", "digits", "noise", "mode", "model", "precision", "source", "viewers"):
        assert key in stats, stats
    assert stats["pipeline_fps"] > 0 and stats["digits"] == 8 and stats["mode"] == "digits"
    assert stats["precision"] == "int8" and stats["model"].endswith(".onnx") and stats["source"].startswith("http")


def control(url: str, action: str, header: bool = True):
    headers = {"X-Dae-Control": "1"} if header else {}
    request = urllib.request.Request(f"{url}/control?action={action}", method="POST", headers=headers)
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


def test_buttons_change_noise_and_mode(served):
    before = get_json(served.url + "/stats")["noise"]
    with pytest.raises(urllib.error.HTTPError, match="403"):
        control(served.url, "noise_up", header=False)  # what a form on another web site could send
    assert control(served.url, "noise_up") == {"queued": "noise_up"}
    deadline = time.monotonic() + 10
    while get_json(served.url + "/stats")["noise"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get_json(served.url + "/stats")["noise"] == pytest.approx(before + 0.05)
    control(served.url, "noise_down")
    control(served.url, "mode")
    deadline = time.monotonic() + 10
    while get_json(served.url + "/stats")["mode"] == "digits" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert get_json(served.url + "/stats")["mode"] == "full frame"
    control(served.url, "mode")
    while get_json(served.url + "/stats")["mode"] != "digits" and time.monotonic() < deadline + 10:
        time.sleep(0.1)
    with pytest.raises(urllib.error.HTTPError, match="404"):
        control(served.url, "format_disk")


def test_several_viewers_at_once_each_get_the_moving_picture(served):
    results = [[] for _ in range(3)]
    threads = [threading.Thread(target=read_mjpeg, args=(served.url + "/stream.mjpg", 3.0, r)) for r in results]
    for t in threads:
        t.start()
    time.sleep(1.0)
    assert get_json(served.url + "/stats")["viewers"] == 3
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
        assert get_json(served.url + "/stats")["pipeline_fps"] > 0  # the camera loop went on
    finally:
        stop.set()
        for r in holders:
            r.close()
    deadline = time.monotonic() + 15  # the slots free up when the viewers leave
    while get_json(served.url + "/stats")["viewers"] > 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert get_json(served.url + "/stats")["viewers"] == 0


def test_the_page_renders_the_picture_in_headless_chromium(served, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("DAE_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (CI installs it with apt)")
        pytest.skip("chromium is not installed (apt install chromium); CI runs this test")
    frames = []
    read_mjpeg(served.url + "/stream.mjpg", 0.5, frames)
    view = cv2.imdecode(np.frombuffer(frames[-1], np.uint8), cv2.IMREAD_COLOR)
    shot = tmp_path / "page.png"
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1000,700",
            "--hide-scrollbars",
            "--timeout=5000",  # the MJPEG stream never finishes loading: shoot after 5 s
            f"--screenshot={shot}",
            served.url + "/",
        ]
        subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    page = cv2.imread(str(shot))
    assert page is not None, "chromium wrote no screenshot"
    h, w = view.shape[:2]
    region = page[:h, :w]  # the <img> is the first thing on the page, at its natural size
    assert region.std() > 20, "the image region is blank"
    gray_page = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray_view = cv2.cvtColor(view, cv2.COLOR_BGR2GRAY).astype(np.float32)
    # The screenshot shows the composed view: paper with boxed digits on the left, dark tiles on the right.
    correlation = np.corrcoef(gray_page.ravel(), gray_view.ravel())[0, 1]
    assert correlation > 0.8, correlation
    green = (region[:, :, 1] > 150) & (region[:, :, 0] < 90) & (region[:, :, 2] < 90)
    assert green.sum() > 500  # the digit boxes


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
