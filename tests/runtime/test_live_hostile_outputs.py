"""`dae live`'s pipeline and outputs against odd frames, odd rates, a silent display and a folder that refuses files."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from live_helpers import one_error_line

from dae_runtime.cli import main
from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in


@pytest.fixture(scope="module")
def denoiser():
    from dae_runtime.denoiser import Denoiser

    return Denoiser()


@pytest.mark.parametrize("full_frame", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 2, 3), (16, 16, 3), (19, 640, 3), (8, 400, 3), (400, 8, 3), (4, 4)])
def test_tiny_or_odd_frames_do_not_crash_the_pipeline(denoiser, shape, full_frame):
    # A file or camera can give frames of any size (a thumbnail video, a 1-line test pattern).
    from dae_runtime.live.pipeline import LiveConfig, LivePipeline

    pipeline = LivePipeline(denoiser, LiveConfig(full_frame=full_frame))
    result = pipeline.process(np.full(shape, 200, np.uint8))
    assert result.view.shape[0] == shape[0] and result.view.shape[1] > shape[1] and result.view.ndim == 3


def test_full_frame_work_stays_bounded_on_a_frame_of_extreme_aspect(denoiser):
    # Full frame scales to 160 wide: a 400x8 frame would become 8000x160 for the model (a 1000x1 one,
    # 160000x160 -- gigabytes of activations). The height is capped; the picture is squeezed instead.
    from dae_runtime.live.pipeline import LiveConfig, LivePipeline

    pipeline = LivePipeline(denoiser, LiveConfig(full_frame=True))
    result = pipeline.process(np.full((400, 8, 3), 200, np.uint8))
    assert result.clean.shape[1] == 160 and result.clean.shape[0] <= 8 * 160


def test_out_keeps_every_frame_when_the_view_changes_size(tmp_path):
    # The mode button (or key f) switches to full frame, whose view is narrower; OpenCV's writer silently
    # drops frames of another size, so they must be fitted to the first frame's size.
    import cv2

    from dae_runtime.live.outputs import VideoOut

    out = tmp_path / "sizes.mp4"
    with VideoOut(str(out), 15) as video:
        for width in (504, 504, 426, 426, 600, 504):
            video.write(np.full((240, width, 3), 128, np.uint8))
    assert frames_in(out)[0] == 6
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 504 and capture.get(cv2.CAP_PROP_FRAME_HEIGHT) == 240


def test_a_nonsense_frame_rate_neither_hangs_the_writer_nor_passes_the_cli(tmp_path):
    # OpenCV's VideoWriter never returns from an infinite rate (not even on SIGTERM): run it in a child.
    import subprocess

    script = (
        "import sys, numpy as np\n"
        "from dae_runtime.live.outputs import VideoOut\n"
        "for fps in (float('inf'), float('nan'), 0.0):\n"
        "    with VideoOut(sys.argv[1] + f'/{fps}.mp4', fps) as video:\n"
        "        video.write(np.zeros((32, 32, 3), np.uint8))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(frames_in(tmp_path / f"{fps}.mp4")[0] == 1 for fps in ("inf", "nan", "0.0"))
    for fps in ("inf", "nan", "100000"):
        result = CliRunner().invoke(main, ["live", "--camera", "picam", "--fps", fps, "--headless", "--out", "x.mp4"])
        assert result.exit_code == 2 and "--fps" in result.output, result.output


def test_a_display_that_does_not_answer_is_one_line_not_an_abort(monkeypatch, tmp_path):
    # An ssh session or sudo that kept DISPLAY, with no X server behind it: Qt would abort (exit 134).
    from dae_runtime.live.display import window_problem, x_display_answers

    if not sys.platform.startswith("linux"):
        pytest.skip("the display check is Linux's")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    if x_display_answers(":99"):
        pytest.skip("an X server answers at :99 here")
    assert ":99" in window_problem() and "--serve" in window_problem()
    result = CliRunner().invoke(main, ["live", "--source", str(tmp_path / "a.mp4")])
    assert result.exit_code == 1 and "DISPLAY=:99" in one_error_line(result.output)
    # One that answers (an X server over TCP on 6000 + N, as ssh -X forwards it) is taken as there.
    with socket.socket() as listener:
        for number in range(50, 100):
            try:
                listener.bind(("127.0.0.1", 6000 + number))
                break
            except OSError:
                continue
        listener.listen()
        assert x_display_answers(f"127.0.0.1:{number}.0")
    assert not x_display_answers(f"127.0.0.1:{number}")


def test_an_out_folder_that_refuses_files_is_one_line(tmp_path):
    # /proc passes os.access for root but refuses new files: the temporary file's error must be one line.
    if not Path("/proc/self").exists():
        pytest.skip("no /proc here")
    video = tmp_path / "paper.mp4"
    writer = cv2_writer(video, (240, 320))
    writer.write(paper_frame(synthetic_digits(4, seed=1), (240, 320)))
    writer.release()
    result = CliRunner().invoke(main, ["live", "--source", str(video), "--headless", "--out", "/proc/dae-x.mp4"])
    assert result.exit_code == 1 and "/proc" in one_error_line(result.output)


def test_an_out_name_too_long_for_any_file_is_refused_before_the_session(tmp_path):
    # 252 + ".mp4" is 256 bytes: the session ran, and only its final rename failed (the frames kept aside).
    out = tmp_path / ("S" * 252 + ".mp4")
    result = CliRunner().invoke(main, ["live", "--source", str(tmp_path / "none.mp4"), "--headless", "--out", str(out)])
    assert result.exit_code == 1 and "its name is 256 bytes, over the 255" in one_error_line(result.output)
    assert list(tmp_path.iterdir()) == []


def cv2_writer(path, size):
    import cv2

    return cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (size[1], size[0]))
