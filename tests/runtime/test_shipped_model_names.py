"""`--model NAME` picks a model shipped in the runtime package (issue 14), in denoise and live."""

import cv2
import numpy as np
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.shipped import shipped_model_path


def _noisy_page(path, digits):
    rng = np.random.default_rng(3)
    page = np.zeros((56, 84), np.float32)
    page[:28, :28], page[28:, 28:56] = digits[0], digits[1]
    noisy = np.clip(page + rng.normal(0, 0.4, page.shape), 0, 1)
    cv2.imwrite(str(path), np.rint(noisy * 255).astype(np.uint8))


def test_denoise_by_name_runs_that_model(tmp_path, digits):
    _noisy_page(tmp_path / "page.png", digits)
    outputs = {}
    for name in ("seed", "seed-skip-blind"):
        result = CliRunner().invoke(main, ["denoise", str(tmp_path / "page.png"), "--out", str(tmp_path / name),
                                           "--model", name, "--int8"])  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs[name] = cv2.imread(str(tmp_path / name / "page.denoised.png"), cv2.IMREAD_GRAYSCALE)
    assert not np.array_equal(outputs["seed"], outputs["seed-skip-blind"])
    page = cv2.imread(str(tmp_path / "page.png"), cv2.IMREAD_GRAYSCALE)[None, ..., None] / np.float32(255)
    direct = Denoiser(shipped_model_path("seed-skip-blind", "int8")).denoise_batch(page.astype(np.float32))[0]
    assert np.abs(outputs["seed-skip-blind"].astype(np.float32) - np.rint(direct * 255)).max() <= 1


def test_an_unknown_name_lists_the_shipped_ones(tmp_path, digits):
    _noisy_page(tmp_path / "page.png", digits)
    page = str(tmp_path / "page.png")
    commands = [
        ["denoise", page, "--out", str(tmp_path / "o")],
        ["live", "--source", page, "--headless", "--out", str(tmp_path / "o.mp4")],
    ]
    for command in commands:
        result = CliRunner().invoke(main, [*command, "--model", "sead"])
        assert result.exit_code == 1
        assert result.output.strip().splitlines()[-1] == (
            "Error: no model file or shipped model named 'sead'; "
            "shipped: seed, lowres-unet, lowres-unet2, seed-skip-blind"
        )
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.mp4").exists()


def test_live_by_name(tmp_path, digits):
    _noisy_page(tmp_path / "page.png", digits)
    result = CliRunner().invoke(main, ["live", "--source", str(tmp_path / "page.png"), "--headless",
                                       "--out", str(tmp_path / "o.mp4"), "--model", "seed-skip-blind"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 frames" in result.output and "seed-skip-blind/model.int8.onnx" in result.output


def test_a_file_named_like_a_shipped_model_wins_and_the_error_says_how_to_get_the_shipped_one(
    tmp_path, digits, monkeypatch
):
    _noisy_page(tmp_path / "page.png", digits)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seed").write_text("not a model\n")
    result = CliRunner().invoke(main, ["denoise", "page.png", "--out", "o", "--model", "seed"])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        .splitlines()[-1]
        .endswith("(the file ./seed was used; for the shipped model of that name give --model seed/)")
    )
    result = CliRunner().invoke(main, ["denoise", "page.png", "--out", "o", "--model", "seed/"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "seed").read_text() == "not a model\n"


def test_an_empty_model_is_one_line(tmp_path, digits):
    _noisy_page(tmp_path / "page.png", digits)
    result = CliRunner().invoke(main, ["denoise", str(tmp_path / "page.png"), "--out", str(tmp_path / "o"),
                                       "--model", " "])  # fmt: skip
    assert result.exit_code == 1
    assert "Error: --model is empty" in result.output
