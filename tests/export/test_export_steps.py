"""Export as steps: model files carry engine and precision, and a new format is one module + one registration."""

import json
import tarfile

import numpy as np
import pytest

from dae_runtime.manifest import verify_manifest

pytestmark = pytest.mark.slow


def test_model_files_carry_their_engine_and_precision(full_export):
    out, _ = full_export
    expected = {
        "model.onnx": ("onnxruntime", "fp32"),
        "model.int8.onnx": ("onnxruntime", "int8"),
        "model.tflite": ("tflite", "fp32"),
        "model.int8.tflite": ("tflite", "int8"),
        "model.ncnn.param": ("ncnn", "fp32"),
        "model.int8.ncnn.param": ("ncnn", "int8"),
        "model.mnn": ("mnn", "fp32"),
        "model.int8.mnn": ("mnn", "int8"),
    }
    files = verify_manifest(out)["files"]
    assert {n: (e["engine"], e["precision"]) for n, e in files.items() if "engine" in e} == expected
    assert "engine" not in files["golden.npz"] and "precision" not in files["rpi-bundle.tar.gz"]
    assert "engine" not in files["model.ncnn.bin"] and "engine" not in files["model.int8.ncnn.bin"]  # weights
    with tarfile.open(out / "rpi-bundle.tar.gz") as tar:
        bundled = json.load(tar.extractfile("dae-edge-rpi/manifest.json"))["files"]
    assert (bundled["model.int8.onnx"]["engine"], bundled["model.int8.onnx"]["precision"]) == ("onnxruntime", "int8")
    # the bundle carries what the steps mark in_bundle: ONNX + golden set, never the peers
    assert not {"model.tflite", "model.ncnn.param", "model.ncnn.bin", "model.mnn"} & set(bundled)


@pytest.fixture
def registry(monkeypatch):
    """dae_export.steps, with the stand-ins a test registers taken out after it."""
    from dae_export import steps

    before = steps.STEPS.names()
    yield steps
    for name in set(steps.STEPS.names()) - set(before):
        steps.STEPS.unregister(name)


def test_a_registered_format_is_written_listed_and_published(registry, trained_model, tmp_path):
    from standin_format import WEIGHTS, WeightsStep

    from dae_export.config import ExportConfig
    from dae_export.pipeline import format_summary, run_export

    registry.register(WeightsStep())
    lines = []
    out = tmp_path / "out"
    summary = run_export(ExportConfig(str(trained_model), str(out)), step=lines.append)
    assert [line.split("]")[0] for line in lines if line.startswith("[")] == ["[1/3", "[2/3", "[3/3"]
    assert any(line.startswith("[3/3] the model's weights as .npz") for line in lines)  # the last step
    manifest = verify_manifest(out)  # published, and its sha256 matches
    assert set(manifest["files"]) == {"model.onnx", WEIGHTS, "golden.npz"}
    assert "weights_npz" in manifest["metrics"]  # the manifest is written after every step, from their results
    assert summary.files[WEIGHTS] == (out / WEIGHTS).stat().st_size
    assert f"| {WEIGHTS} |" in format_summary(summary, out)
    import keras

    weights = np.load(out / WEIGHTS)
    model = keras.models.load_model(trained_model, compile=False)
    assert all(np.array_equal(weights[f"w{i}"], w) for i, w in enumerate(model.get_weights()))
    with pytest.raises(ValueError, match="export step 'weights-npz' is already registered"):
        registry.register(WeightsStep())


def test_a_step_leaving_an_undeclared_file_fails_and_out_keeps_its_files(registry, trained_model, tmp_path):
    from standin_format import UntidyStep

    from dae_export.config import ExportConfig
    from dae_export.errors import ExportError
    from dae_export.pipeline import run_export

    registry.register(UntidyStep())
    (tmp_path / "model.onnx").write_bytes(b"the model that works")
    with pytest.raises(ExportError, match=r"untidy.*scratch\.tmp"):
        run_export(ExportConfig(str(trained_model), str(tmp_path)), step=lambda s: None)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_a_step_reads_the_context_and_earlier_results_but_cannot_change_them(tmp_path):
    """The context is frozen and the earlier results are a read-only view: a step says what it gives
    by returning a StepResult, never by writing on a shared object."""
    import dataclasses
    from types import MappingProxyType

    from dae_export.config import ExportConfig
    from dae_export.steps import ExportContext, GraphForm, StepResult

    results = {"onnx-fp32": StepResult(form=GraphForm.FAST_PHASE)}
    ctx = ExportContext(
        cfg=ExportConfig("m.keras", str(tmp_path)), model=None, stage=tmp_path, scratch=tmp_path, spec={},
        noise={}, noise_model=None, calib=np.zeros(1), val_noisy=np.zeros(1), val_clean=np.zeros(1),
        train_metrics={}, source=tmp_path, source_sha="", outputs=(), results=MappingProxyType(results),
    )  # fmt: skip
    assert ctx.form is GraphForm.FAST_PHASE and str(ctx.form) == "fast-phase"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.stage = tmp_path / "elsewhere"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ctx.results["golden"] = StepResult()  # type: ignore[index]
    results.clear()  # the pipeline's own dict: the view follows it
    assert ctx.form is GraphForm.PLAIN


@pytest.mark.parametrize("failure", ["rewrite bug", "gate", "not this model"])
def test_an_arm_int8_form_that_fails_leaves_the_export_s_file_in_the_bundle(failure, tmp_path):
    """An ARM int8 file is a speed-up for the Pi bundle: when its rewrite breaks, does not fit or fails the int8 gate,
    the step says so in one line and the bundle keeps the export's own int8 model (nothing half-written listed)."""
    from types import SimpleNamespace

    from dae_export.errors import ExportError, RewriteNotApplicable
    from dae_export.steps.arm_forms import Int8Form, _int8
    from dae_export.steps.base import StepResult

    error = {"rewrite bug": KeyError("x"), "gate": ExportError("int8 loses 0.50 dB"),
             "not this model": RewriteNotApplicable("not the decoder")}[failure]  # fmt: skip

    def source(_plain):
        raise error

    said: list[str] = []
    ctx = SimpleNamespace(plain_fp32=lambda: None, say=said.append)
    result = StepResult()
    _int8(ctx, tmp_path, result, Int8Form("model.int8.onnx", "u8s8", source, "onnx_int8"))
    assert result == StepResult() and len(said) == 1 and "model.int8.onnx" in said[0], said
    assert "keeps the export's" in said[0]
