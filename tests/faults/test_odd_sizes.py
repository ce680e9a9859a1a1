"""Videos of odd width or height (issue 25, defect 11: a 641x479 video came out 640x478, reported as
written). OpenCV's FFmpeg writer drops the last column and row of such frames whatever the codec, so
they are written as Motion-JPEG in MP4, at their exact size, by `dae denoise` and `dae live --out`.

The odd source is made with OpenCV's own Motion-JPEG AVI writer, which keeps odd sizes.
"""

import cv2
import pytest
from fault_tools import dae

from dae_runtime.denoiser import Denoiser
from dae_runtime.live.pipeline import LiveConfig, LivePipeline
from dae_runtime.synthetic import paper_frame, synthetic_digits
from videos import frames_in

pytestmark = pytest.mark.runtime_suite  # make test runs it in the runtime-only venv (Python 3.11.2), only there

SIZES = [(479, 641), (480, 641), (479, 640), (1, 1)]


def odd_video(path, size, n=8):
    frames = [paper_frame(synthetic_digits(4, seed=1), size, scale=1, shift=(i, i)) for i in range(n)]
    video = cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), 10, size[::-1])
    for frame in frames:
        video.write(frame)
    video.release()
    assert frames_in(path) == (n, (*size, 3))
    return frames


def read_all(path):
    capture, frames = cv2.VideoCapture(str(path)), []
    while (got := capture.read())[0]:
        frames.append(got[1])
    capture.release()
    return frames


@pytest.mark.parametrize("size", SIZES)
def test_denoise_writes_a_video_at_its_exact_size(tmp_path, size):
    source = tmp_path / "clip.avi"
    odd_video(source, size)
    done = dae("denoise", source, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    written = read_all(tmp_path / "out" / "clip.denoised.mp4")
    assert len(written) == 8 and written[0].shape[:2] == size
    denoiser = Denoiser()  # the same model on the frames as the video gives them: only JPEG's loss apart
    for frame, out in zip(read_all(source), written, strict=True):
        expected = denoiser.denoise(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        assert cv2.PSNR(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), expected) > 30 or size == (1, 1)


def test_an_even_video_keeps_opencvs_mp4v(tmp_path):
    source = tmp_path / "clip.avi"
    odd_video(source, (120, 160))
    assert dae("denoise", source, "--out", tmp_path / "out").returncode == 0
    data = (tmp_path / "out" / "clip.denoised.mp4").read_bytes()
    assert b"moof" not in data and frames_in(tmp_path / "out" / "clip.denoised.mp4") == (8, (120, 160, 3))


@pytest.mark.parametrize("full_frame", [False, True])
def test_live_records_the_view_at_its_exact_size(tmp_path, full_frame):
    source = tmp_path / "clip.avi"
    frames = odd_video(source, (479, 641))
    view = LivePipeline(Denoiser(), LiveConfig(full_frame=full_frame)).process(frames[0]).view
    assert view.shape[0] % 2 or view.shape[1] % 2  # the case: an odd-sized view
    args = ["live", "--source", source, "--headless", "--out", tmp_path / "live.mp4"]
    done = dae(*args, *(["--full-frame"] if full_frame else []))
    assert done.returncode == 0, done.stderr
    assert frames_in(tmp_path / "live.mp4") == (8, view.shape)


def test_live_refuses_a_container_it_does_not_record_before_anything_starts(tmp_path):
    done = dae("live", "--source", tmp_path / "missing.avi", "--headless", "--out", tmp_path / "live.avi")
    assert done.returncode == 1 and "recordings are MP4" in done.stderr and "no such file" not in done.stderr
    assert list(tmp_path.iterdir()) == []
