"""The benchmark gate on synthetic results: it passes good numbers and names each regression."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

GATE = Path(__file__).parents[2] / "benchmarks" / "gate.py"
spec = importlib.util.spec_from_file_location("gate", GATE)
gate = importlib.util.module_from_spec(spec)
sys.modules["gate"] = gate  # dataclasses look their module up there
spec.loader.exec_module(gate)


def row(engine, precision, batch, p50, psnr=20.0, diff=1e-6):
    return {"engine": engine, "precision": precision, "batch": batch, "p50_ms": p50, "psnr_db": psnr,
            "max_abs_diff_vs_keras": diff}  # fmt: skip


def good():
    return {
        "results": [
            row("keras", "fp32", 1, 10.0, diff=0.0),
            row("onnxruntime", "fp32", 1, 0.2),
            row("onnxruntime", "int8", 1, 0.15, psnr=19.9, diff=0.09),
            row("onnxruntime", "fp32", 64, 5.0),
            row("tflite", "fp32", 1, 0.25),
            row("tflite", "int8", 1, 0.16, psnr=19.9, diff=0.09),
            row("tflite", "int8", 64, 6.0, psnr=19.9, diff=0.09),
        ]
    }


def test_good_results_pass():
    assert gate.check(good()) == []


@pytest.mark.parametrize(
    "change, fragment",
    [
        (
            lambda r: [r["results"][1].update(p50_ms=1.5), r["results"][4].update(p50_ms=2.0)],
            "speed: onnxruntime fp32 batch-1 p50 is 0.150x Keras",
        ),  # fmt: skip
        (lambda r: r["results"][3].update(max_abs_diff_vs_keras=3e-3), "parity"),
        (lambda r: r["results"][2].update(psnr_db=19.5), "accuracy: int8 loses 0.500 dB"),
        (lambda r: r["results"].pop(0), "missing rows"),
        (lambda r: r["results"].pop(2), "needs onnxruntime int8"),
        (lambda r: r["results"][2].update(p50_ms=0.2), "onnxruntime int8 batch-1 p50 0.200 ms is 1.25x TFLite"),
        (lambda r: r["results"][1].update(p50_ms=0.3), "onnxruntime fp32 batch-1 p50 0.300 ms is 1.20x TFLite"),
        (
            lambda r: [r["results"][3].update(p50_ms=7.0), r["results"].append(row("keras", "fp32", 256, 50.0))],
            "best batch-64 throughput",
        ),  # a batch only Keras ran does not hide the check
        (
            lambda r: r["results"][3].update(p50_ms=7.0),
            "best batch-64 throughput 9,143 images/s is below TFLite's 10,667",
        ),
    ],
    ids=[
        "slow",
        "parity",
        "int8-loss",
        "no-keras",
        "no-int8",
        "int8-vs-tflite",
        "fp32-vs-tflite",
        "keras-only-batch",
        "throughput",
    ],  # fmt: skip
)
def test_each_regression_is_named(change, fragment):
    result = good()
    change(result)
    failures = gate.check(result)
    assert len(failures) == 1 and fragment in failures[0]


def test_batch1_noise_margin():
    result = good()
    result["results"][2]["p50_ms"] = 0.17  # 1.06x TFLite int8: within the 10 % margin
    assert gate.check(result) == []


def test_tflite_is_optional():
    result = good()
    result["results"] = [r for r in result["results"] if r["engine"] != "tflite"]
    assert gate.check(result) == []


def test_main_exit_codes(tmp_path, capsys):
    path = tmp_path / "compare.json"
    path.write_text(json.dumps(good()))
    assert gate.main(["gate", str(path)]) == 0
    bad = good()
    bad["results"][1]["p50_ms"] = 9.0
    path.write_text(json.dumps(bad))
    assert gate.main(["gate", str(path)]) == 1
    assert "REGRESSION speed" in capsys.readouterr().out


@pytest.mark.parametrize("value", [float("nan"), 0.0, None])
def test_malformed_numbers_fail_the_gate(value):
    result = good()
    result["results"][0]["p50_ms"] = value
    failures = gate.check(result)
    assert failures and "malformed" in failures[0]


def test_unreadable_file_fails(tmp_path):
    path = tmp_path / "compare.json"
    path.write_text("{not json")
    assert gate.main(["gate", str(path)]) == 1


VNNI_X86 = {"machine": "x86_64", "cpu_features": ["avx2", "avx512_vnni", "avx512f"]}
PLAIN_X86 = {"machine": "x86_64", "cpu_features": ["avx2", "avx512f"]}  # e.g. a GitHub runner without VNNI
ARM64 = {"machine": "aarch64", "cpu_features": ["asimd", "asimddp", "i8mm"]}  # ubuntu-24.04-arm


def slower_than_tflite():
    result = good()
    result["results"][2]["p50_ms"] = 0.3  # onnxruntime int8 1.9x TFLite int8 at batch 1
    return result


def test_engine_checks_fail_on_a_validated_cpu():
    result = {**slower_than_tflite(), "machine": VNNI_X86}
    notes = []
    failures = gate.check(result, notes=notes)
    assert len(failures) == 1 and "1.88x TFLite int8" in failures[0] and notes == []


@pytest.mark.parametrize("machine, missing", [(PLAIN_X86, "avx2, avx512f"), (ARM64, "asimd, asimddp, i8mm")])
def test_engine_checks_are_notes_on_cpus_they_were_not_validated_on(machine, missing):
    result = {**slower_than_tflite(), "machine": machine}
    notes = []
    assert gate.check(result, notes=notes) == []
    assert "validated only on x86_64 with avx512_vnni" in notes[0] and missing in notes[0]
    assert any("(not enforced)" in n and "TFLite int8" in n for n in notes[1:])


def test_other_checks_still_fail_without_the_feature():
    result = {**slower_than_tflite(), "machine": PLAIN_X86}
    result["results"][1]["max_abs_diff_vs_keras"] = 1e-2
    failures = gate.check(result)
    assert len(failures) == 1 and failures[0].startswith("parity")


def test_main_prints_the_notes(tmp_path, capsys):
    path = tmp_path / "compare.json"
    path.write_text(json.dumps({**slower_than_tflite(), "machine": ARM64}))
    assert gate.main(["gate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "NOTE onnxruntime-vs-TFLite speed checks not enforced" in out and "gate: passed" in out
