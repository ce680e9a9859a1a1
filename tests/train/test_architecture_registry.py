"""A new architecture is one module plus one registration: a stand-in goes through train and export.

The stand-in (two 8-channel convs around two poolings, a few hundred weights) is defined
here, registered with `dae_train.architectures.register`, trained for one epoch on a few
builtin digits by the real trainer, then exported to fp32 ONNX and run by the runtime.
"""

import numpy as np
import pytest

from dae_train.architectures import ARCHITECTURES, build_model, register

pytestmark = pytest.mark.slow

NAME = "test-standin"


def build_standin(input_shape=(None, None, 1)):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input_1")
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="enc")(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="pool1")(x)
    x = layers.MaxPooling2D(2, padding="same", name="pool2")(x)
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="mid")(x)
    x = layers.UpSampling2D(4, name="up")(x)
    outputs = layers.Conv2D(1, 3, activation="sigmoid", padding="same", name="out")(x)
    return keras.Model(inputs, outputs, name="standin")


@pytest.fixture
def standin():
    register(NAME)(build_standin)
    yield NAME
    ARCHITECTURES.unregister(NAME)


def test_register_refuses_a_taken_name():
    with pytest.raises(ValueError, match="already registered"):
        register("seed")(build_standin)
    assert ARCHITECTURES.get("seed") is not build_standin
    with pytest.raises(
        ValueError, match="unknown architecture 'nope'; choose one of seed, seed-skip, unet, lowres-unet, lowres-unet2"
    ):
        build_model("nope")


def test_a_registered_architecture_trains_and_exports(standin, mnist_npz, tmp_path):
    import keras

    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export
    from dae_runtime.denoiser import Denoiser
    from dae_runtime.manifest import verify_manifest
    from dae_train.config import TrainConfig
    from dae_train.trainer import train

    assert build_model(standin).count_params() == 8 * 9 + 8 + 8 * 8 * 9 + 8 + 8 * 9 + 1
    report = train(
        TrainConfig(data=str(mnist_npz), epochs=1, batch_size=64, arch=standin, seed=5, xla=False), tmp_path / "run"
    )
    assert report["config"]["arch"] == standin and report["params"] == 737
    model = keras.models.load_model(tmp_path / "run" / "model.keras", compile=False)
    assert model.name == "standin" and [layer.name for layer in model.layers][-1] == "out"

    out = tmp_path / "export"
    summary = run_export(
        ExportConfig(str(tmp_path / "run" / "model.keras"), str(out), parity_samples=64, golden_samples=16),
        step=lambda s: None,
    )
    assert summary.metrics["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert verify_manifest(out)["input"]["size_multiple"] == 4
    frame = np.random.default_rng(6).random((36, 44), dtype=np.float32)
    expected = np.asarray(model(frame[None, ..., None]))[0, ..., 0]
    assert np.abs(Denoiser(out / "model.onnx").denoise(frame) - expected).max() <= 1e-4
