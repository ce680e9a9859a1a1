"""`dae live --serve` in a real browser (headless Chromium; CI sets DAE_REQUIRE_CHROMIUM=1 so these never skip):
the page renders the picture, and its own script reads the figures and presses the buttons, with and
without an access token."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from chromium_helper import DevToolsBrowser, chromium_or_skip, screenshot
from live_helpers import LiveProcess, MJPEGCamera, read_mjpeg

TOKEN = "Chromium-test-token-0123456789"


@pytest.fixture(scope="module")
def camera():
    camera = MJPEGCamera(fps=30).start()
    yield camera
    camera.stop()


@pytest.fixture(scope="module", params=["no token", "token"])
def served(camera, request):
    """dae live on 127.0.0.1: as by default (no token), and with --serve-token (as always on the LAN)."""
    args = ["--serve-token", TOKEN] if request.param == "token" else []
    live = LiveProcess("--source", camera.url, *args).wait_for_frames()
    assert live.token == (TOKEN if args else None)  # the printed address carries it
    yield live
    live.close()


def page_url(live: LiveProcess) -> str:
    return live.url + (f"/?token={live.token}" if live.token else "/")


def test_the_page_renders_the_picture_in_headless_chromium(served, tmp_path):
    chromium_or_skip()
    frames: list[bytes] = []
    read_mjpeg(served.url + "/stream.mjpg" + (f"?token={served.token}" if served.token else ""), 0.5, frames)
    view = cv2.imdecode(np.frombuffer(frames[-1], np.uint8), cv2.IMREAD_COLOR)
    shot = tmp_path / "page.png"
    screenshot(page_url(served), str(shot))
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


def test_the_page_script_shows_the_figures_and_its_buttons_work(served):
    browser = DevToolsBrowser()
    try:
        page = browser.open(page_url(served))
        fps = browser.wait_for(page, "(t => t !== '-' && t)(document.getElementById('pipeline_fps').textContent)")
        assert fps and float(fps) > 0  # fetch('/stats') from the page's script: with the cookie, if a token
        assert browser.wait_for(page, "document.getElementById('view').naturalWidth") > 640  # the stream
        assert browser.evaluate(page, "location.href") == served.url + "/"  # the token left the address bar
        assert browser.evaluate(page, "document.cookie") == ""  # HttpOnly: no script reads the token
        before = served.get_json("/stats")["noise"]
        browser.evaluate(page, "[...document.querySelectorAll('button')].find(b => b.textContent == 'noise +').click()")
        deadline = time.monotonic() + 10
        while served.get_json("/stats")["noise"] == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert served.get_json("/stats")["noise"] == pytest.approx(before + 0.05)  # POST /control went through
        browser.evaluate(page, "control('noise_down')")
        browser.evaluate(page, "location.reload()")  # the cookie alone, the token no longer in the URL
        assert browser.wait_for(page, "document.getElementById('view').naturalWidth") > 640
    finally:
        browser.close()
