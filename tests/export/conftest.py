"""Export test fixtures: a model trained for one epoch here, exported once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory):
    """The seed trained for one epoch (builtin digits, batch 64), once per test run (conftest.built_once)."""
    from shared_builds import built_once

    def build(folder):
        from dae_train.config import TrainConfig
        from dae_train.trainer import train

        train(TrainConfig(data="builtin", epochs=1, batch_size=64, seed=2, xla=False), folder, verbose=0)

    return built_once(tmp_path_factory, "trained", build) / "model.keras"


@pytest.fixture(scope="session")
def full_export(trained_model, tmp_path_factory):
    """`dae export --int8 --tflite --ncnn --mnn --target rpi` on the one-epoch model, once per test run: (out
    folder, summary). Read-only for the tests: every worker shares it."""
    import json
    from dataclasses import asdict

    from dae_export.config import ExportConfig, ExportSummary
    from shared_builds import built_once

    def build(folder):
        from dae_export.pipeline import run_export

        config = ExportConfig(str(trained_model), str(folder / "out"), int8=True, tflite=True, ncnn=True, mnn=True,
                              target="rpi")  # fmt: skip
        summary = run_export(config, step=lambda s: None)
        (folder / "summary.json").write_text(json.dumps(asdict(summary)))

    folder = built_once(tmp_path_factory, "export", build)
    return folder / "out", ExportSummary(**json.loads((folder / "summary.json").read_text()))


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
