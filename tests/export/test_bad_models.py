"""Fault suite, Keras half (issue 12, defects 6 and 10): a 3-channel, NaN-weight or fake Keras model
gives one line and exit code 1 from compare, evaluate and export, with no TensorFlow chatter."""

import os

import numpy as np
import pytest
from click.testing import CliRunner

from dae_runtime.cli import main
from dae_runtime.synthetic import synthetic_digits
from one_line_errors import Run, assert_one_line_error, run_dae


def invoke(*args) -> Run:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return Run(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    import keras

    from dae_train.architectures import build_model

    d = tmp_path_factory.mktemp("bad_keras")
    inputs = keras.Input((None, None, 3))
    keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs)).save(d / "rgb.keras")
    seed = build_model("seed")
    seed.set_weights([np.full_like(w, np.nan) for w in seed.get_weights()])
    seed.save(d / "nan.keras")
    (d / "text.keras").write_text("not a model")
    keras.Model(inputs := keras.Input((None, None, 1)), keras.layers.Conv2D(1, 3, strides=3)(inputs)).save(
        d / "stride3.keras"
    )
    digits = synthetic_digits(8)[..., None]
    np.savez(d / "golden.npz", noisy=digits, clean=digits, keras=digits)
    return d


def shipped_models():
    from dae_runtime.shipped import default_model_path

    return default_model_path().parent


@pytest.mark.parametrize(
    "model, fragment",
    [("rgb.keras", "not gray images (N, H, W, 1)"), ("text.keras", "not a .keras zip archive")],
)
def test_compare_keras_with_a_bad_model(models, model, fragment, tmp_path):
    run = invoke("compare", "--keras", models / model, "--models", shipped_models(), "--golden",
                 models / "golden.npz", "--json", tmp_path / "r.json")  # fmt: skip
    line = assert_one_line_error(run, fragment, code=1)
    assert "File not found" not in line and not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    "model, fragment",
    [
        ("rgb.keras", "not gray images (N, H, W, 1)"),
        ("nan.keras", "NaN or infinite weights"),
        ("text.keras", "not a .keras zip archive"),
        ("stride3.keras", "only convolutions with stride 1 or 2 are supported"),
    ],
)
def test_export_of_a_bad_model(models, model, fragment, tmp_path):
    run = invoke("export", "--model", models / model, "--out", tmp_path / "out")
    line = assert_one_line_error(run, fragment, code=1)
    assert "skip connections" not in line and "File not found" not in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_evaluate_of_a_three_channel_model_is_one_line_without_tensorflow_chatter(models):
    """A subprocess, as a user runs it: TensorFlow's native start-up lines (absl, CUDA stub) went
    straight to stderr before the command's own error, whatever TF_CPP_MIN_LOG_LEVEL said."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = run_dae("evaluate", "--model", models / "rgb.keras", "--data", "builtin", "--limit", "10", env=env)
    assert_one_line_error(run, "not gray images (N, H, W, 1)", code=1)
    assert run.err.strip().startswith("Error:")
