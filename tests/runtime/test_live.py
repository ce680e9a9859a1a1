"""`dae live` on a video of paper digits that the test draws."""

import cv2
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.metrics import psnr
from dae_runtime.synthetic import paper_frame
from videos import frames_in


@pytest.fixture(scope="module")
def paper_video(tmp_path_factory, digits):
    path = tmp_path_factory.mktemp("video") / "paper.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 15, (640, 480))
    for i in range(12):
        writer.write(paper_frame(digits[:8], shift=(i % 3, 2 * (i % 4))))
    writer.release()
    return path


def test_headless_writes_the_composed_video(paper_video, tmp_path):
    out = tmp_path / "live.mp4"
    result = CliRunner().invoke(
        main, ["live", "--source", str(paper_video), "--headless", "--out", str(out), "--max-frames", "8"]
    )
    assert result.exit_code == 0, result.output
    assert "8 frames" in result.output and "FPS" in result.output
    n, shape = frames_in(out)
    assert n == 8 and shape[0] == 480 and shape[1] > 640  # frame plus the tiles panel


def test_denoised_crops_are_closer_to_the_clean_digits(paper_video):
    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.4))
    capture = cv2.VideoCapture(str(paper_video))
    for _ in range(3):
        ok, frame = capture.read()
        result = pipeline.process(frame)
        assert len(result.boxes) == 8
        assert psnr(result.denoised, result.clean) > psnr(result.noisy, result.clean) + 3.0


def test_full_frame_mode_and_keys(paper_video):
    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.3, full_frame=True))
    ok, frame = cv2.VideoCapture(str(paper_video)).read()
    result = pipeline.process(frame)
    assert result.denoised.shape == result.clean.shape == (120, 160)
    assert psnr(result.denoised, result.clean) > psnr(result.noisy, result.clean)
    assert pipeline.handle_key(ord("+")) and pipeline.config.add_noise == pytest.approx(0.35)
    assert pipeline.handle_key(ord("f")) and not pipeline.config.full_frame
    assert not pipeline.handle_key(ord("q"))


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["--camera", "7", "--headless", "--out", "x.mp4"], 1, "cannot open camera 7"),
        (["--source", "missing.mp4", "--headless", "--out", "x.mp4"], 1, "cannot open video"),
        (["--camera", "0", "--source", "a.mp4"], 2, "exactly one"),
        (["--source", "a.mp4", "--headless"], 2, "--out"),
        (["--camera", "0", "--loop", "--headless", "--out", "x.mp4"], 2, "--loop repeats a video file"),
        (["--source", "rtsp://cam/live", "--loop", "--headless", "--out", "x.mp4"], 2, "--loop repeats a video file"),
    ],
)
def test_bad_sources_are_one_clear_error(tmp_path, monkeypatch, args, code, fragment):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["live", *args])
    assert result.exit_code == code, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.mp4").exists()
