"""The browser view's rate (`dae live --serve-fps`, 15 by default): each view sent is a JPEG, a good part of a
Raspberry Pi's budget for a frame (issue 24, item 2)."""

from __future__ import annotations

import pytest

from dae_runtime.live.session import SessionOptions


def test_the_browser_view_is_encoded_at_most_15_times_a_second_by_default():
    """Not a camera's 30: a Pi 4 spends about 7 M instructions on each view's JPEG (the live loop's budget)."""
    from contextlib import ExitStack

    from dae_runtime.live import session

    with ExitStack() as stack:
        server = session._start_server(
            stack, None, None, ("127.0.0.1", 0), SessionOptions().serve_fps, session._Progress(), lambda _: None
        )
        assert server.hub.min_interval == pytest.approx(1 / 15)


@pytest.mark.parametrize(
    "args, env, fps",
    [([], {}, 15.0), (["--serve-fps", "10"], {}, 10.0), ([], {"DAE_LIVE_SERVE_FPS": "7.5"}, 7.5)],
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
