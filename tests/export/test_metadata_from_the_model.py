"""Export metadata comes from the model itself: a deeper architecture exports correct metadata."""

import json

import numpy as np
import pytest

from dae_runtime.manifest import verify_manifest

pytestmark = pytest.mark.slow


def deep_model(input_shape=(None, None, 1)):
    """Untrained: 3 poolings (size multiple 8), a concatenated skip; weights from a fixed seed."""
    import keras

    keras.utils.set_random_seed(5)
    inputs = keras.Input(input_shape)
    x, skips = inputs, []
    for channels in (8, 8, 8):
        x = keras.layers.Conv2D(channels, 3, padding="same", activation="relu")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D(2)(x)
    for skip in reversed(skips):
        x = keras.layers.UpSampling2D(2)(x)
        x = keras.layers.Concatenate()([x, skip])
        x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    return keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x))


def test_shape_facts_follow_the_layers():
    from dae_export import model_shape
    from dae_export.metadata import input_spec

    spec = input_spec(deep_model())
    assert (spec["size_multiple"], spec["digit_size"]) == (8, 28)
    assert model_shape.input_side(deep_model()) == 32  # 28 rounded up to a multiple of 8
    fixed = deep_model((48, 48, 1))  # a model built for another digit size says so itself
    assert input_spec(fixed)["digit_size"] == 48 and model_shape.input_side(fixed) == 48
    # a conv's reach grows with the stride it runs at: 1 + 2 + 4 (convs) + 1 + 2 (pools) + ... per level
    assert input_spec(deep_model())["receptive_radius"] == model_shape.receptive_radius(deep_model()) > 16


def test_a_strided_conv_halves_the_map_as_a_pooling_does():
    """A stride-2 head instead of conv + pooling: without counting it, frames of a side that is not a
    multiple of 4 failed in onnxruntime with a traceback (2026-11-27)."""
    import keras

    from dae_export import model_shape

    inputs = keras.Input((None, None, 1))
    x = keras.layers.Conv2D(8, 4, strides=2, padding="same", activation="relu")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.UpSampling2D(4)(x)
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(x))
    assert model_shape.size_multiple(model) == 4
    assert model_shape.receptive_radius(model) == 3 + 2 + 1 + 1  # strided conv, pool, upsampling, last conv


def test_the_reach_bounds_what_an_output_pixel_reads_after_strided_convs():
    """A "same" stride-2 conv pads more after than before; with a 4x upsampling the reach once fell a
    pixel short, and tiled frames differed from one pass (found in review, 2026-11-27)."""
    import keras

    from dae_export import model_shape

    inputs = keras.Input((None, None, 1))
    x = keras.layers.Conv2D(1, 4, strides=2, padding="same", use_bias=False)(inputs)
    x = keras.layers.Conv2D(1, 5, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.UpSampling2D(4)(x)
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same", use_bias=False)(x))
    model.set_weights(
        [np.random.default_rng(0).uniform(0.5, 1, w.shape).astype("float32") for w in model.get_weights()]
    )
    side, row = 48, 24
    impulses = np.zeros((side, side, side, 1), np.float32)
    impulses[np.arange(side), row, np.arange(side), 0] = 1.0  # image q lights input column q
    reads = np.abs(np.asarray(model(impulses))[:, row, :, 0]) > 0  # reads[q, p]: output column p reads input q
    multiple, radius = model_shape.size_multiple(model), model_shape.receptive_radius(model)
    for p in range(8, side - 8):
        q = np.nonzero(reads[:, p])[0]
        block = multiple * (p // multiple)  # the runtime's tiles keep whole blocks of the size multiple
        assert block - q.min() <= radius and q.max() - (block + multiple - 1) <= radius


def test_a_three_pooling_model_exports_metadata_from_its_own_shape(tmp_path):
    import onnx
    from tensorflow.lite.python.interpreter import Interpreter

    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export
    from dae_runtime.denoiser import Denoiser

    model = deep_model()
    model.save(tmp_path / "model.keras")
    out = tmp_path / "export"
    summary = run_export(
        ExportConfig(str(tmp_path / "model.keras"), str(out), tflite=True, calib_samples=64, parity_samples=64),
        step=lambda s: None,
    )
    spec = verify_manifest(out)["input"]
    assert (spec["size_multiple"], spec["digit_size"]) == (8, 28) and spec["receptive_radius"] > 16
    props = {p.key: p.value for p in onnx.load(str(out / "model.onnx")).metadata_props}
    assert json.loads(props["input"]) == spec  # what the runtime reads
    assert Interpreter(model_path=str(out / "model.tflite")).get_input_details()[0]["shape_signature"].tolist() == [
        -1, 32, 32, 1,
    ]  # fmt: skip
    golden = np.load(out / "golden.npz")
    assert golden["noisy"].shape[1:] == (32, 32, 1)  # digits padded to the side the model computes on
    assert np.abs(golden["clean"][:, :2]).max() == 0.0  # ... with black background
    assert summary.metrics["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert summary.metrics["tflite_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    denoiser = Denoiser(out / "model.onnx")  # the runtime pads 28x28 digits to 32 and crops back
    digits = golden["noisy"][:4, 2:30, 2:30, 0]
    assert denoiser.denoise_batch(np.pad(digits, ((0, 0), (2, 2), (2, 2)))).shape == (4, 32, 32)
