"""The Pareto front of `dae compare` over several models: dominated points leave it, ties stay."""

import pytest

from dae_runtime.bench import pareto


def _row(model, precision, batch, p50, psnr):
    return {"model": model, "engine": "onnxruntime", "precision": precision, "batch": batch,
            "p50_ms": p50, "psnr_db": psnr}  # fmt: skip


ROWS = [
    _row("seed", "fp32", 1, 0.10, 20.1),
    _row("seed", "int8", 1, 0.08, 20.0),
    _row("unet", "fp32", 1, 0.30, 20.8),
    _row("slow-bad", "fp32", 1, 0.40, 19.0),  # slower and worse than all: off the front
    _row("seed", "fp32", 256, 5.0, 20.1),
    _row("seed", "int8", 256, 6.0, 20.0),  # at batch 256 int8 is slower and worse than fp32: off
    _row("unet", "fp32", 256, 9.0, 20.8),
    _row("slow-bad", "fp32", 256, 9.0, 19.0),
]


def test_front_keeps_only_undominated_points():
    assert pareto.on_front(ROWS, 1) == {("seed", "onnxruntime", "fp32"), ("seed", "onnxruntime", "int8"),
                                        ("unet", "onnxruntime", "fp32")}  # fmt: skip
    assert pareto.on_front(ROWS, 256) == {("seed", "onnxruntime", "fp32"), ("unet", "onnxruntime", "fp32")}


def test_an_identical_point_does_not_push_its_twin_off():
    twins = [_row("a", "fp32", 1, 1.0, 20.0), _row("b", "fp32", 1, 1.0, 20.0)]
    assert len(pareto.on_front(twins, 1)) == 2


def test_table_and_markdown_list_every_model_best_first():
    rows = pareto.table(ROWS)
    assert [r["model"] for r in rows] == ["unet", "seed", "seed", "slow-bad"]
    seed_int8 = next(r for r in rows if r["model"] == "seed" and r["precision"] == "int8")
    assert seed_int8["front"] == [1] and seed_int8["p50_ms"] == {1: 0.08, 256: 6.0}
    text = pareto.markdown(ROWS)
    assert "| slow-bad | onnxruntime | fp32 | 19.00 | 0.400 | 9.000 | - |" in text
    assert "| seed | onnxruntime | int8 | 20.00 | 0.080 | 6.000 | b1 |" in text


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")  # an optional extra of the runtime, like report.plot's
    pareto.plot(ROWS, tmp_path / "pareto.png")
    assert (tmp_path / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
