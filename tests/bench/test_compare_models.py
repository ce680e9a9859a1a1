"""`dae compare --models A --models B`: several models on one golden set, and their Pareto table."""

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.golden_compare import load_golden
from dae_runtime.metrics import psnr

REPO = Path(__file__).resolve().parents[2]
SEED, BLIND = REPO / "models/seed/export", REPO / "models/seed-skip-blind/export"


def test_two_models_on_the_first_folders_golden_digits(tmp_path):
    args = ["compare", "--models", str(SEED), "--models", str(BLIND), "--batch", "1,8", "--iters", "8",
            "--warmup", "1", "--settle", "0", "--json", "-", "--markdown", str(tmp_path / "pareto.md"),
            "--plot", str(tmp_path / "pareto.png")]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    labels = {(r["model"], r["precision"]) for r in out["results"]}
    assert labels == {(m, p) for m in ("seed", "seed-skip-blind") for p in ("fp32", "int8")}
    # quality is measured on the seed folder's golden digits, for both models: check one independently
    golden = load_golden(SEED / "golden.npz")
    blind = Denoiser(BLIND / "model.int8.onnx").denoise_batch(golden["noisy"].astype(np.float32))
    row = next(r for r in out["pareto"] if r["model"] == "seed-skip-blind" and r["precision"] == "int8")
    assert abs(row["psnr_db"] - psnr(blind, golden["clean"][..., 0])) < 1e-6
    assert all(set(r["p50_ms"]) == {"1", "8"} for r in out["pareto"])  # JSON keys: the batch sizes
    assert any(r["front"] for r in out["pareto"])
    table = (tmp_path / "pareto.md").read_text()
    assert table.startswith("| model | engine | precision | PSNR dB (golden) | p50 ms b1 | p50 ms b8 |")
    assert table.count("| seed-skip-blind |") == 2
    assert (tmp_path / "pareto.png").read_bytes()[:4] == b"\x89PNG"


def test_keras_with_several_models_is_a_usage_error():
    result = CliRunner().invoke(main, ["compare", "--models", str(SEED), "--models", str(BLIND),
                                       "--keras", str(REPO / "models/seed/model.keras")])  # fmt: skip
    assert result.exit_code == 2
    assert "--keras goes with one --models folder" in result.output


def test_the_same_folder_twice_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["compare", "--models", str(SEED), "--models", f"{SEED}/../export"])
    assert result.exit_code == 2
    assert "is given twice" in result.output
