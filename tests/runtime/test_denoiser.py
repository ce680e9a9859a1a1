import json

import numpy as np
import pytest

from dae_runtime import default_model_path
from dae_runtime.denoiser import Denoiser, DenoiserError, SessionConfig
from dae_runtime.manifest import sha256_file
from dae_runtime.metrics import psnr
from dae_runtime.noise import gaussian


@pytest.fixture(scope="module")
def denoiser():
    return Denoiser()


def test_defaults_to_the_shipped_model_and_reads_its_metadata(denoiser):
    assert denoiser.path == default_model_path()
    assert denoiser.precision == "fp32" and denoiser.size_multiple == 4 and denoiser.channels_last
    assert Denoiser(precision="int8").precision == "int8"


@pytest.mark.parametrize("shape", [(30, 45), (28, 28, 1), (33, 17, 3), (40, 40, 4)])
def test_any_size_and_channel_layout_keeps_the_shape(denoiser, shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = denoiser.denoise(image)
    assert out.shape == shape[:2] and out.dtype == np.uint8
    as_float = denoiser.denoise(image.astype(np.float32) / 255.0)
    assert as_float.dtype == np.float32 and 0.0 <= as_float.min() and as_float.max() <= 1.0
    # same result but for the dtype: uint8 input is converted to gray in uint8 (rounding), float in float
    assert np.abs(as_float * 255 - out).max() <= 2.0


def test_denoise_improves_noisy_digits_in_batch(denoiser, digits):
    clean = digits[:16]
    noisy = gaussian(clean, 0.4, np.random.default_rng(1))
    batch = denoiser.denoise_batch(noisy)
    assert batch.shape == clean.shape
    assert psnr(batch, clean) > psnr(noisy, clean) + 3.0


def test_session_settings_do_not_change_the_result(digits):
    x = digits[:8]
    fast = Denoiser(session=SessionConfig(threads=2, spinning=True)).denoise_batch(x)
    plain = Denoiser(session=SessionConfig(threads=1, spinning=False, graph_optimization="none")).denoise_batch(x)
    np.testing.assert_allclose(fast, plain, atol=1e-5)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_an_empty_batch_gives_an_empty_result(precision):
    out = Denoiser(precision=precision).denoise_batch(np.zeros((0, 28, 28), np.float32))
    assert out.shape == (0, 28, 28) and out.dtype == np.float32


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_the_lean_run_path_gives_the_public_api_result(digits, precision):
    from dae_runtime.denoiser import fast_run

    d = Denoiser(precision=precision)
    x = np.ascontiguousarray(digits[:5, ..., None], np.float32)
    public = d.session.run(None, {"input": x})[0]
    assert np.array_equal(d._run({"input": x}), public)

    class PublicOnly:  # an onnxruntime release without the private binding
        def __init__(self, session):
            self.run, self.get_outputs = session.run, session.get_outputs

    assert np.array_equal(fast_run(PublicOnly(d.session))({"input": x}), public)


def test_missing_and_corrupt_models_are_one_clear_error(tmp_path):
    with pytest.raises(DenoiserError, match="does not exist"):
        Denoiser(tmp_path / "none.onnx")
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x08\x07garbage that is not a protobuf model")
    with pytest.raises(DenoiserError, match="not a usable ONNX model") as info:
        Denoiser(bad)
    assert "\n" not in str(info.value)


def test_a_model_that_does_not_match_its_manifest_is_refused(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(default_model_path().read_bytes())
    manifest = {"files": {"model.onnx": {"sha256": sha256_file(model)}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    Denoiser(model)  # matches: accepted
    manifest["files"]["model.onnx"]["sha256"] = "0" * 64
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DenoiserError, match="does not match the sha256"):
        Denoiser(model)


def test_batches_are_scaled_and_checked(denoiser, digits):
    x = digits[:4]
    as_u8 = (x * 255).round().astype(np.uint8)
    np.testing.assert_allclose(denoiser.denoise_batch(as_u8), denoiser.denoise_batch(as_u8 / 255.0), atol=1e-5)
    with pytest.raises(ValueError, match="multiples of 4"):
        denoiser.denoise_batch(np.zeros((1, 30, 30), np.float32))
    color = np.random.default_rng(0).random((30, 30, 3))  # float64 BGR
    assert denoiser.denoise(color).shape == (30, 30)
    assert denoiser.denoise(np.full((28, 28), 200.0)).max() <= 1.0  # 0..255 floats are scaled
