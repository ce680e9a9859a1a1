"""`dae compare` finds its engines in a registry: onnxruntime from the runtime, keras and tflite from an
installed export package (entry points), any other from `register_engine`. Runs in the runtime-only venv
too, where onnxruntime is the only engine."""

from __future__ import annotations

import importlib.util
import json
import shutil

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from standin_engine import standin_engine

from dae_runtime.bench import engines
from dae_runtime.bench.engines import engine_names, register_engine
from dae_runtime.cli import main
from dae_runtime.denoiser import Denoiser
from dae_runtime.manifest import sha256_file
from dae_runtime.metrics import psnr
from dae_runtime.noise import gaussian
from dae_runtime.shipped import default_model_path

FAST = ["--batch", "1,4", "--iters", "4", "--warmup", "1", "--settle", "0"]


@pytest.fixture
def export_dir(tmp_path, digits):
    """An export folder: the shipped models (their manifest names each one's engine) and golden digits,
    the Keras outputs stood in for by onnxruntime's."""
    folder = tmp_path / "export"
    shutil.copytree(default_model_path().parent, folder)
    clean = digits[:16, ..., None]
    noisy = gaussian(clean, 0.5, np.random.default_rng(0))
    np.savez(folder / "golden.npz", noisy=noisy, clean=clean, keras=Denoiser().denoise_batch(noisy)[..., None])
    return folder


@pytest.fixture
def registry(monkeypatch):
    """In-process registrations made by a test end with it."""
    monkeypatch.setattr(engines, "ENGINES", engines.Registry("engine"))


def _list_in_manifest(folder, name: str, **entry) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["files"][name] = {"sha256": sha256_file(folder / name), **manifest["files"].get(name, {}), **entry}
    path.write_text(json.dumps(manifest, indent=2))


def _compare(folder, tmp_path) -> tuple[object, dict]:
    out = tmp_path / "compare.json"
    result = CliRunner().invoke(main, ["compare", "--models", str(folder), *FAST, "--json", str(out)])
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text())


def _engines_measured(data: dict) -> set[tuple[str, str]]:
    assert {r["batch"] for r in data["results"]} == {1, 4}
    return {(r["engine"], r["precision"]) for r in data["results"]}


def test_installed_engines_are_the_runtime_and_what_the_export_package_adds():
    export_installed = importlib.util.find_spec("dae_export") is not None
    assert set(engine_names()) == {"onnxruntime"} | ({"keras", "tflite", "ncnn", "mnn"} if export_installed else set())


def test_runtime_only_device_measures_onnxruntime_alone(export_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "entry_points", lambda group: [])  # what a device without dae-edge-export has
    (export_dir / "model.tflite").write_bytes(b"a TFLite peer this device cannot run")
    _list_in_manifest(export_dir, "model.tflite", engine="tflite", precision="fp32")
    result, data = _compare(export_dir, tmp_path)
    assert _engines_measured(data) == {("onnxruntime", "fp32"), ("onnxruntime", "int8")}
    assert "Skipping model.tflite: no tflite engine installed here" in result.output


def _unlist_engine(folder, name: str) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    for key in ("engine", "precision"):
        manifest["files"][name].pop(key)
    path.write_text(json.dumps(manifest, indent=2))


def test_manifest_names_the_engines(export_dir, tmp_path, registry):
    _unlist_engine(export_dir, "model.int8.onnx")
    _, data = _compare(export_dir, tmp_path)
    # the manifest is followed: model.int8.onnx, listed without an engine, is not measured
    assert _engines_measured(data) == {("onnxruntime", "fp32")}


def test_a_manifest_that_names_no_engine_is_one_line(export_dir, tmp_path):
    for name in ("model.onnx", "model.int8.onnx"):
        _unlist_engine(export_dir, name)
    result = CliRunner().invoke(main, ["compare", "--models", str(export_dir), *FAST])
    assert (
        result.exit_code == 1
        and "names no model's engine" in result.output
        and "export the model again" in result.output
    )
    assert "Traceback" not in result.output


def test_a_registered_standin_engine_is_measured(export_dir, tmp_path, registry):
    (export_dir / "model.standin").write_text("3")
    models = [("model.onnx", "onnxruntime", "fp32"), ("model.int8.onnx", "onnxruntime", "int8"),
              ("model.standin", "standin", "fp32")]  # fmt: skip
    for name, engine, precision in models:
        _list_in_manifest(export_dir, name, engine=engine, precision=precision)
    register_engine("standin", standin_engine)
    _, data = _compare(export_dir, tmp_path)
    assert _engines_measured(data) == {("onnxruntime", "fp32"), ("onnxruntime", "int8"), ("standin", "fp32")}
    golden = np.load(export_dir / "golden.npz")
    blurred = np.stack([cv2.blur(d[..., 0], (3, 3), borderType=cv2.BORDER_REPLICATE) for d in golden["noisy"]])
    row = next(r for r in data["results"] if r["engine"] == "standin" and r["batch"] == 1)
    assert row["psnr_db"] == pytest.approx(psnr(blurred, golden["clean"]), abs=1e-4)
    assert row["model_bytes"] == 1


def test_a_model_whose_engine_fails_to_load_is_one_line(export_dir, tmp_path, registry):
    (export_dir / "model.standin").write_text("4")
    _list_in_manifest(export_dir, "model.standin", engine="standin", precision="fp32")
    register_engine("standin", standin_engine)
    result = CliRunner().invoke(main, ["compare", "--models", str(export_dir), *FAST])
    assert result.exit_code == 1
    assert "cannot load an engine: model.standin (standin): " in result.output
    assert "box size must be odd" in result.output
    assert "Traceback" not in result.output


def test_keras_without_the_keras_engine_is_one_line(export_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "entry_points", lambda group: [])
    keras = tmp_path / "model.keras"
    keras.write_bytes(b"PK")
    result = CliRunner().invoke(main, ["compare", "--models", str(export_dir), "--keras", str(keras), *FAST])
    assert result.exit_code == 1 and "needs the keras engine" in result.output


def test_a_folder_without_a_model_any_engine_runs_is_one_line(export_dir, tmp_path):
    for name in ("model.onnx", "model.int8.onnx", "manifest.json"):
        (export_dir / name).unlink()
    result = CliRunner().invoke(main, ["compare", "--models", str(export_dir), *FAST])
    assert result.exit_code == 1 and "no model found that an installed engine runs (onnxruntime" in result.output
