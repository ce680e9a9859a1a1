"""`dae demo` end to end, briefly: every step writes its outputs and says where they went."""

import pytest
from click.testing import CliRunner

from dae_runtime.cli import main

pytestmark = pytest.mark.slow


def test_demo_runs_the_whole_path(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--epochs", "1", "--limit", "40", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for step in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5]"):
        assert step in result.output
    expected = {"model.keras", "train_report.json", "clean_vs_noisy.png", "noisy_vs_denoised.png", "evaluation.md",
                "evaluation.json", "exported_models.png", "compare.md", "compare.json", "compare.png"}  # fmt: skip
    assert expected <= {p.name for p in out.iterdir()}
    assert {"model.onnx", "model.int8.onnx", "model.tflite", "model.int8.tflite"} <= {
        p.name for p in (out / "export").iterdir()
    }
    assert (out / "evaluation.md").read_text().count("\n| 0.") == 7  # one row per sigma 0.1..0.7
    assert "onnxruntime" in (out / "compare.md").read_text() and str(out) in result.output
