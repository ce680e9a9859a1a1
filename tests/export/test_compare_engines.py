"""A tiny `dae compare` of every engine: files written, schema and accuracy (never timings)."""

import json

import pytest
from click.testing import CliRunner

from dae_runtime.bench.report import validate
from dae_runtime.cli import main

pytestmark = pytest.mark.slow


def test_compare_writes_all_four_files_with_every_row(full_export, trained_model, tmp_path):
    out, _ = full_export
    files = {k: tmp_path / n for k, n in [("json", "c.json"), ("markdown", "c.md"), ("plot", "c.png"),
                                           ("github-benchmark", "g.json")]}  # fmt: skip
    args = ["compare", "--keras", str(trained_model), "--models", str(out), "--batch", "1,4",
            "--iters", "4", "--warmup", "1", "--settle", "0", "--threads", "1"]  # fmt: skip
    for option, path in files.items():
        args += [f"--{option}", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(files["json"].read_text())
    assert validate(data) == []
    combos = {(r["engine"], r["precision"], r["batch"]) for r in data["results"]}
    engines = [
        ("keras", "fp32"),
        ("onnxruntime", "fp32"),
        ("onnxruntime", "int8"),
        ("tflite", "fp32"),
        ("tflite", "int8"),
        ("ncnn", "fp32"),
        ("ncnn", "int8"),
        ("mnn", "fp32"),
        ("mnn", "int8"),
    ]
    assert combos == {(e, p, b) for e, p in engines for b in (1, 4)}
    by = {(r["engine"], r["precision"], r["batch"]): r for r in data["results"]}
    assert by[("onnxruntime", "fp32", 1)]["max_abs_diff_vs_keras"] <= 1e-4
    keras_db = by[("keras", "fp32", 1)]["psnr_db"]
    for engine in ("tflite", "ncnn", "mnn"):  # the peers measured beside onnxruntime, with their accuracy
        assert by[(engine, "fp32", 1)]["max_abs_diff_vs_keras"] <= 1e-4
    for engine in ("onnxruntime", "ncnn", "mnn"):
        assert abs(by[(engine, "int8", 4)]["psnr_db"] - keras_db) <= 0.3
    ncnn_bytes = sum((out / n).stat().st_size for n in ("model.ncnn.param", "model.ncnn.bin"))
    assert by[("ncnn", "fp32", 1)]["model_bytes"] == ncnn_bytes  # its weights counted too
    assert data["machine"]["cores"] >= 1 and data["machine"]["versions"]["onnxruntime"]
    # Keras predict() is timed beside model(x), as a note per batch, not a row
    assert sorted(data["notes"]) == ["keras predict() batch 1 ms", "keras predict() batch 4 ms"]
    assert all(v > 0 for v in data["notes"].values())
    assert "x Keras p50" in files["markdown"].read_text()
    assert files["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    entries = json.loads(files["github-benchmark"].read_text())
    assert len(entries) == 18 and all(e["unit"] == "ms" and e["value"] > 0 for e in entries)


def test_schema_check_catches_bad_rows():
    bad = {"machine": {}, "results": [{"engine": "torch", "precision": "fp16", "batch": "1"}]}
    problems = validate(bad)
    assert any("engine" in p for p in problems) and any("batch" in p for p in problems)
    assert validate({"machine": {}, "results": []}) == ["results: missing or empty"]
