"""`dae denoise` on a folder of mixed inputs, one of them broken."""

import hashlib

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.metrics import psnr
from dae_runtime.noise import gaussian
from dae_runtime.synthetic import paper_frame, paper_page


def digest(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def inputs(tmp_path, digits):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    noisy = gaussian(digits[:4], 0.4, np.random.default_rng(0))
    cv2.imwrite(str(folder / "a.png"), (noisy[0] * 255).astype(np.uint8))
    cv2.imwrite(str(folder / "sub" / "b.jpg"), cv2.resize((noisy[1] * 255).astype(np.uint8), (50, 37)))
    np.save(folder / "batch.npy", noisy)
    np.savez(folder / "arrays.npz", first=noisy[:2], second=(noisy[2] * 255).astype(np.uint8))
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    (folder / "notes.txt").write_text("ignored: not an image")
    video = cv2.VideoWriter(str(folder / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for i in range(5):
        video.write(paper_frame(digits[:3], size=(240, 320), scale=2, shift=(i, i)))
    video.release()
    return folder


def test_folder_with_one_broken_file(inputs, tmp_path, digits):
    before = digest(inputs)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["denoise", str(inputs), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "broken.png: not a readable image" in result.output and "Traceback" not in result.output
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == {
        "in/a.denoised.png",
        "in/sub/b.denoised.png",
        "in/batch.denoised.npy",
        "in/arrays.denoised.npz",
        "in/clip.denoised.mp4",
    }
    assert digest(inputs) == before  # inputs untouched
    batch = np.load(out / "in" / "batch.denoised.npy")
    assert batch.shape == (4, 28, 28) and batch.dtype == np.float32
    assert psnr(batch, digits[:4]) > psnr(np.load(inputs / "batch.npy"), digits[:4]) + 3.0
    with np.load(out / "in" / "arrays.denoised.npz") as z:
        assert z["first"].shape == (2, 28, 28) and z["second"].dtype == np.uint8
    assert cv2.imread(str(out / "in" / "sub" / "b.denoised.png"), cv2.IMREAD_UNCHANGED).shape == (37, 50)
    frames = 0
    capture = cv2.VideoCapture(str(out / "in" / "clip.denoised.mp4"))
    while capture.read()[0]:
        frames += 1
    assert frames == 5


def test_add_noise_and_digit_mode(tmp_path, digits):
    """--digits pastes denoised digits back: over the digits' boxes the page is closer to the clean one."""
    page, boxes = paper_page(digits[:6], size=(240, 480), scale=2)
    assert len(boxes) == 6
    frame = tmp_path / "paper.png"
    cv2.imwrite(str(frame), page)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["denoise", str(frame), "--out", str(out), "--digits", "--add-noise", "0.3"])
    assert result.exit_code == 0, result.output
    noisy = cv2.imread(str(out / "paper.noisy.png"), cv2.IMREAD_GRAYSCALE)
    cleaned = cv2.imread(str(out / "paper.denoised.png"), cv2.IMREAD_GRAYSCALE)
    original = cv2.imread(str(frame), cv2.IMREAD_GRAYSCALE)
    assert noisy.shape == cleaned.shape == original.shape
    assert not np.array_equal(noisy, original)
    inside = np.zeros(original.shape, bool)
    for x, y, w, h in boxes:
        inside[y : y + h, x : x + w] = True

    def psnr_inside(image):
        return psnr(image[inside][None].astype(np.float32) / 255, original[inside][None].astype(np.float32) / 255)

    assert psnr_inside(cleaned) > psnr_inside(noisy) + 3.0, (psnr_inside(cleaned), psnr_inside(noisy))


def test_never_writes_over_an_input(tmp_path, digits):
    folder = tmp_path / "pics"
    folder.mkdir()
    cv2.imwrite(str(folder / "x.png"), (digits[0] * 255).astype(np.uint8))
    cv2.imwrite(str(folder / "x.denoised.png"), (digits[1] * 255).astype(np.uint8))  # the user's own file
    before = digest(folder)
    result = CliRunner().invoke(
        main, ["denoise", str(folder / "x.png"), str(folder / "x.denoised.png"), "--out", str(folder)]
    )
    assert result.exit_code == 1
    assert "would overwrite an input" in result.output
    assert digest(folder)[folder / "x.denoised.png"] == before[folder / "x.denoised.png"]


def test_missing_inputs_and_bad_model_are_clear(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["denoise", str(tmp_path / "nope.png"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "does not exist" in result.output
    corrupt = tmp_path / "m.onnx"
    corrupt.write_bytes(b"corrupt")
    result = runner.invoke(main, ["denoise", str(tmp_path), "--out", str(tmp_path / "o"), "--model", str(corrupt)])
    assert result.exit_code == 1 and "not a usable ONNX model" in result.output
    assert "Traceback" not in result.output


def test_a_broken_array_does_not_stop_the_others_and_outputs_never_collide(tmp_path, digits):
    folder = tmp_path / "mix"
    folder.mkdir()
    for name in ("a.png", "c.png"):
        cv2.imwrite(str(folder / name), (digits[0] * 255).astype(np.uint8))
    (folder / "b.npz").write_bytes(b"PK\x03\x04 garbage")
    (folder / "d.npy").write_bytes(b"")
    cv2.imwrite(str(folder / "a.jpg"), (digits[1] * 255).astype(np.uint8))  # same output name as a.png (a.jpg wins)
    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["denoise", str(folder), str(tmp_path / "empty"), "--out", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    written = sorted(p.name for p in (out / "mix").iterdir())
    assert written == ["a.denoised.png", "c.denoised.png"]
    for bad in (
        "b.npz: not a readable array file",
        "d.npy: not a .npy file",
        "another input's output",
        "holds no supported",
    ):
        assert bad in result.output
    assert "2 file(s) written" in result.output and "4 input(s) failed" in result.output
