"""The pretrained models inside the runtime package: present, intact, and denoising."""

import json

import numpy as np
import onnxruntime as ort
import pytest

import dae_runtime
from dae_runtime.manifest import verify_manifest
from dae_runtime.metrics import psnr
from dae_runtime.noise import gaussian
from dae_runtime.shipped import MODELS_DIR


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_default_model_path_points_at_a_runnable_model(precision, digits):
    path = dae_runtime.default_model_path(precision)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["precision"] == precision
    assert json.loads(meta["input"])["layout"] == "NHWC"
    clean = digits[:32, ..., None]
    noisy = gaussian(clean, 0.3, np.random.default_rng(0))
    out = session.run(None, {"input": noisy})[0]
    assert out.shape == clean.shape
    assert psnr(out, clean) > psnr(noisy, clean) + 3.0  # even on OpenCV-drawn digits it never saw
    frame = session.run(None, {"input": np.zeros((2, 56, 84, 1), np.float32)})[0]
    assert frame.shape == (2, 56, 84, 1)


def test_shipped_files_match_their_manifest():
    manifest = verify_manifest(MODELS_DIR / "seed")
    assert set(manifest["files"]) == {"model.onnx", "model.int8.onnx"}
    assert manifest["metrics"]["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4


def test_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="precision"):
        dae_runtime.default_model_path("fp16")


def test_the_zoo_travels_with_the_package():
    # In the runtime-only venv (a regular, non-editable install) this also proves the package data
    # globs carry the models/<name>/ folders into the wheel.
    from dae_runtime.shipped import shipped_models

    assert list(shipped_models())[:1] == ["seed"]
    assert "seed-skip-blind" in shipped_models()


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_every_shipped_model_is_intact_and_denoises(precision, digits):
    from dae_runtime.shipped import shipped_model_path, shipped_models

    clean = digits[:32, ..., None]
    noisy = gaussian(clean, 0.3, np.random.default_rng(1))
    for name, folder in shipped_models().items():
        manifest = verify_manifest(folder)
        assert set(manifest["files"]) == {"model.onnx", "model.int8.onnx"}, name
        session = ort.InferenceSession(str(shipped_model_path(name, precision)), providers=["CPUExecutionProvider"])
        out = session.run(None, {"input": noisy})[0]
        assert psnr(out, clean) > psnr(noisy, clean) + 3.0, name


def test_unknown_shipped_model_names_the_shipped_ones():
    from dae_runtime.shipped import shipped_model_path

    shipped = "seed, lowres-unet, lowres-unet2, seed-skip-blind"
    with pytest.raises(ValueError, match=f"no shipped model named 'nope'; shipped: {shipped}"):
        shipped_model_path("nope")
