"""A full disk while `dae denoise` / `dae live --out` write: exit 1 with one line per output, and the
earlier good output stays as it was (issue 12, defect 1: a 0-frame video replaced it with exit 0).

Each case runs twice: on a real 3 MB tmpfs filled up to a few KB, and with a file-size limit that
makes the output's writes fail the same way (the variant that runs where mounting is not allowed).
"""

import hashlib

import cv2
import numpy as np
import pytest
from fault_tools import dae, file_size_limit, fill_disk, one_line_failure

from dae_runtime.synthetic import paper_frame, synthetic_digits

LEFT_FREE = 8 << 10  # bytes left on the tmpfs: less than any of the outputs below
SIZE_LIMIT = 8 << 10  # the same, as a per-file limit


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    digits = synthetic_digits(6)
    video = cv2.VideoWriter(str(folder / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for i in range(24):
        frame = paper_frame(digits[:3], size=(240, 320), scale=2, shift=(i % 5, i % 5)).astype(np.int16)
        video.write(np.clip(frame + rng.integers(-60, 60, frame.shape), 0, 255).astype(np.uint8))
    video.release()
    # Odd sizes are written by dae's own Motion-JPEG MP4 writer: its full disk must be caught the same way.
    odd = cv2.VideoWriter(
        str(folder / "odd.avi"), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), 10, (321, 241)
    )
    for i in range(24):
        frame = paper_frame(digits[:3], size=(241, 321), scale=2, shift=(i % 5, i % 5)).astype(np.int16)
        odd.write(np.clip(frame + rng.integers(-60, 60, frame.shape), 0, 255).astype(np.uint8))
    odd.release()
    cv2.imwrite(str(folder / "page.png"), rng.integers(0, 256, (256, 256), dtype=np.uint8))
    np.save(folder / "batch.npy", rng.random((8, 64, 64), dtype=np.float32))
    np.savez(folder / "arrays.npz", a=rng.random((8, 64, 64), dtype=np.float32))
    return folder


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


CASES = {
    "video": ("clip.mp4", "clip.denoised.mp4"),
    "odd-sized video": ("odd.avi", "odd.denoised.mp4"),
    "image": ("page.png", "page.denoised.png"),
    "npy": ("batch.npy", "batch.denoised.npy"),
    "npz": ("arrays.npz", "arrays.denoised.npz"),
}


@pytest.fixture(params=["tmpfs", "file-size-limit"])
def full_disk(request, tmp_path):
    """(output folder, how to make the next command run out of space)."""
    if request.param == "tmpfs":
        disk = request.getfixturevalue("small_disk")
        return disk / "out", lambda: (fill_disk(disk, LEFT_FREE), None)[1]
    return tmp_path / "out", lambda: file_size_limit(SIZE_LIMIT)


@pytest.mark.parametrize("kind", CASES)
def test_denoise_on_a_full_disk_keeps_the_earlier_output(inputs, full_disk, kind):
    out, run_out_of_space = full_disk
    source, output = CASES[kind]
    good = dae("denoise", inputs / source, "--out", out)
    assert good.returncode == 0, good.stderr
    before = digest(out / output)
    assert (out / output).stat().st_size > LEFT_FREE  # it cannot fit on the filled disk

    result = dae("denoise", inputs / source, "--out", out, preexec_fn=run_out_of_space())
    text = one_line_failure(result)
    assert f"could not write {out / output}" in text and "nothing was replaced" in text
    assert digest(out / output) == before
    assert sorted(p.name for p in out.iterdir()) == [output]  # no half-written temporary file left


def test_live_out_on_a_full_disk_keeps_the_earlier_video(inputs, full_disk):
    out, run_out_of_space = full_disk
    target = out / "live.mp4"
    out.mkdir(parents=True, exist_ok=True)
    args = ("live", "--source", inputs / "clip.mp4", "--headless", "--out", target, "--full-frame")
    good = dae(*args)
    assert good.returncode == 0, good.stderr
    before = digest(target)
    assert target.stat().st_size > LEFT_FREE

    result = dae(*args, preexec_fn=run_out_of_space())
    text = one_line_failure(result)
    assert f"could not write {target}" in text and "Wrote" not in text
    assert digest(target) == before
    assert sorted(p.name for p in out.iterdir()) == ["live.mp4"]


def test_a_full_disk_floods_no_library_warnings(inputs, small_disk):
    """A longer video that fills the disk mid-way: OpenCV/FFmpeg used to print a warning per frame."""
    fill_disk(small_disk, 512 << 10)
    result = dae("denoise", inputs / "clip.mp4", inputs / "clip.mp4", "--out", small_disk / "out")
    one_line_failure(result)
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr  # progress label + one line per failure


@pytest.mark.parametrize("kind", ["video", "image"])
def test_a_disk_with_no_space_at_all_is_named_as_the_reason(inputs, small_disk, kind):
    """0 bytes free: OpenCV cannot even open the video writer; the line must say the disk is full
    (it said "use a .mp4 name" of a .mp4 name), and nothing may be replaced."""
    source, output = CASES[kind]
    out = small_disk / "out"
    assert dae("denoise", inputs / source, "--out", out).returncode == 0
    before = digest(out / output)
    fill_disk(small_disk, 0)
    text = one_line_failure(dae("denoise", inputs / source, "--out", out))
    assert ("the disk is full" in text or "No space left on device" in text) and "nothing was replaced" in text
    assert digest(out / output) == before
    assert sorted(p.name for p in out.iterdir()) == [output]
