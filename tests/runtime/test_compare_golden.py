"""`dae compare --golden` on a device without TensorFlow."""

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.manifest import sha256_file

SHIPPED_GOLDEN = Path(__file__).resolve().parents[2] / "models" / "seed" / "export" / "golden.npz"


def test_accuracy_against_keras_outputs_and_latency(tmp_path):
    """The reference is independent of the runtime: Keras's outputs, written by the export that
    made the shipped model (models/seed/export is that export; its manifest lists the same sha256)."""
    golden = SHIPPED_GOLDEN
    shipped = json.loads((golden.parent / "manifest.json").read_text())["files"]["model.onnx"]["sha256"]
    assert sha256_file(Denoiser().path) == shipped
    report = tmp_path / "compare.json"
    args = ["compare", "--golden", str(golden), "--batch", "1,8", "--iters", "5", "--warmup", "1"]
    result = CliRunner().invoke(main, [*args, "--json", str(report)])
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["accuracy"]["max_abs_diff_vs_keras"] <= 1e-4
    assert data["accuracy"]["psnr_db"] > 18.0
    assert [row["batch"] for row in data["latency"]] == [1, 8]
    for row in data["latency"]:
        assert row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] and row["throughput_ips"] > 0
    int8 = CliRunner().invoke(main, [*args, "--int8"])
    assert int8.exit_code == 0 and "(int8)" in int8.output


def test_bad_golden_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "golden.npz"
    np.savez(bad, noisy=np.zeros((1, 28, 28, 1)))
    result = CliRunner().invoke(main, ["compare", "--golden", str(bad)])
    assert result.exit_code == 1 and "lacks clean, keras" in result.output
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["compare", "--golden", str(bad)])
    assert result.exit_code == 1 and "not a readable golden.npz" in result.output


def test_golden_shapes_must_agree(tmp_path):
    bad = tmp_path / "golden.npz"
    np.savez(bad, noisy=np.zeros((5, 28, 28, 1), np.float32), clean=np.zeros((7, 28, 28, 1), np.float32),
             keras=np.zeros((5, 28, 28, 1), np.float32))  # fmt: skip
    result = CliRunner().invoke(main, ["compare", "--golden", str(bad)])
    assert result.exit_code == 1 and "share one shape" in result.output and "Traceback" not in result.output
