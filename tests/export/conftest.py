"""Export test fixtures: a model trained for one epoch here, exported once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory):
    from dae_train.config import TrainConfig
    from dae_train.trainer import train

    out = tmp_path_factory.mktemp("trained")
    train(TrainConfig(data="builtin", epochs=1, batch_size=64, seed=2), out, verbose=0)
    return out / "model.keras"


@pytest.fixture(scope="session")
def full_export(trained_model, tmp_path_factory):
    """`dae export --int8 --tflite --ncnn --mnn --target rpi` on the one-epoch model: (out folder, summary)."""
    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export

    out = tmp_path_factory.mktemp("export")
    summary = run_export(
        ExportConfig(str(trained_model), str(out), int8=True, tflite=True, ncnn=True, mnn=True, target="rpi"),
        step=lambda s: None,
    )
    return out, summary


@pytest.fixture(scope="session")
def lowres():
    """lowres-unet with random weights and biases (rewrite_models.random_model), built once."""
    from rewrite_models import random_model

    return random_model("lowres-unet")


@pytest.fixture(scope="session")
def lowres_plain(lowres):
    """Its plain fp32 ONNX graph."""
    from dae_export.keras_to_onnx import convert_fp32

    return convert_fp32(lowres)
