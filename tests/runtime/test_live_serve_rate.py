"""The browser view's rate (`dae live --serve-fps`, 12 by default): each view sent is a JPEG, a good part of a
Raspberry Pi's budget for a frame (issue 24, item 2)."""

from __future__ import annotations

import pytest

from dae_runtime.live.session import SessionOptions


def test_the_browser_view_is_encoded_at_most_12_times_a_second_by_default():
    """Not a camera's 30: a Pi 4 spends about 7.7 M instructions on each view's JPEG (the live loop's budget)."""
    from contextlib import ExitStack

    from dae_runtime.live import session

    with ExitStack() as stack:
        server = session._start_server(
            stack, None, None, ("127.0.0.1", 0), SessionOptions().serve_fps, session._Progress(), lambda _: None
        )
        assert server.hub.min_interval == pytest.approx(1 / 12)


@pytest.mark.parametrize(
    "args, env, fps",
    [([], {}, 12.0), (["--serve-fps", "15"], {}, 15.0), ([], {"DAE_LIVE_SERVE_FPS": "7.5"}, 7.5)],
)
def test_the_view_rate_reaches_the_session(monkeypatch, args, env, fps):
    from click.testing import CliRunner

    from dae_runtime.cli import main
    from dae_runtime.live import session
    from dae_runtime.live.pipeline import LiveError

    seen = []

    def run_session(pipeline, source, options, echo):
        seen.append(options.serve_fps)
        raise LiveError("stopped by the test")

    monkeypatch.setattr(session, "run_session", run_session)
    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", "--serve", "4912", *args], env=env)
    assert result.exit_code == 1 and seen == [fps], result.output


@pytest.mark.parametrize("rate", ["0", "61", "nan", "fast"])
def test_a_view_rate_out_of_range_is_a_usage_error(rate):
    from click.testing import CliRunner

    from dae_runtime.cli import main

    result = CliRunner().invoke(main, ["live", "--source", "a.mp4", "--serve", "4912", "--serve-fps", rate])
    assert result.exit_code == 2 and "--serve-fps" in result.output.splitlines()[-1]


def _views_taken(camera_fps: float, cap: float, frames: int, jitter: float = 0.0) -> list[int]:
    """Which of a camera's frames the hub's schedule lets through to a viewer always waiting."""
    import random

    from dae_runtime.live.frame_hub import FrameHub

    hub, taken, rng = FrameHub(max_fps=cap), [], random.Random(1)
    try:
        hub.close()  # the schedule alone: no encoder thread
        hub.jpeg = b"the first view"
        for i in range(frames):
            pts = i / camera_fps + rng.uniform(-jitter, jitter)
            if hub._due(pts):
                hub._taken(pts)
                taken.append(i)
    finally:
        hub.close()
    return taken


@pytest.mark.parametrize("camera, cap", [(30, 15), (30, 12), (30, 10), (25, 12), (60, 30), (10, 15)])
def test_the_view_rate_is_met_on_average_whatever_the_camera_rate(camera, cap):
    """12 of a 30 FPS camera's frames a second, every 2nd or 3rd (a cap 1 / 12 s after the last view would take
    every 3rd: 10 a second); never more than the camera gives."""
    taken = _views_taken(camera, cap, frames=10 * camera)
    assert len(taken) == 10 * min(camera, cap)
    gaps = {b - a for a, b in zip(taken, taken[1:], strict=False)}
    assert gaps <= {int(camera // cap), -(-camera // cap)}


def test_a_camera_s_jitter_does_not_halve_the_view_rate():
    # Frames up to 4 ms early or late: 1 / 15 s after the last view, a frame 3 ms early would be passed over.
    assert len(_views_taken(30, 15, frames=300, jitter=0.004)) >= 148


def test_after_a_pause_the_views_do_not_come_in_a_burst():
    from dae_runtime.live.frame_hub import FrameHub

    hub = FrameHub(max_fps=10)
    try:
        hub.jpeg = b"the first view"
        hub._taken(0.0)
        assert hub._due(5.0)  # nobody watched for 5 s
        hub._taken(5.0)
        assert not hub._due(5.05) and hub._due(5.1)
    finally:
        hub.close()


def test_a_frame_too_soon_for_the_view_wakes_no_thread():
    """A 30 FPS camera with the view at 15: every other frame is skipped in `publish` itself, without waking the
    encoder (or the viewers): on a Pi each wake-up is instructions spent on nothing."""
    import threading
    import time

    import numpy as np
    from live_helpers import wait_until

    from dae_runtime.live.frame_hub import FrameHub

    hub = FrameHub(max_fps=15)
    woken = []
    notify = hub._work.notify
    hub._work.notify = lambda n=1: woken.append(n) or notify(n)  # type: ignore[method-assign]
    try:
        hub.publish(np.zeros((8, 8, 3), np.uint8), time.perf_counter(), pts=0.0)
        reader = threading.Thread(target=lambda: [hub.newer_than(k) for k in range(0, 3)], daemon=True)
        reader.start()
        wait_until(lambda: hub.encoded == 1)
        for i in range(1, 5):
            before = len(woken)
            wait_until(lambda: hub._waiting == 1 or hub.encoded == 3)
            hub.publish(np.zeros((8, 8, 3), np.uint8), time.perf_counter(), pts=i / 30)
            if i % 2:  # 1/30 s after a view: too soon at 15 FPS
                assert len(woken) == before and hub.skipped == (i + 1) // 2
            else:
                wait_until(lambda i=i: hub.encoded == 1 + i // 2)
        reader.join(10)
        assert (hub.encoded, hub.skipped) == (3, 2)
    finally:
        hub.close()
