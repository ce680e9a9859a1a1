"""The model zoo: every architecture builds, keeps an open spatial size and its documented size."""

import numpy as np
import pytest
from click.testing import CliRunner

from dae_train.architectures import ARCHITECTURES, build_model

PARAMS = {"seed": 28_353, "seed-skip": 28_353, "unet": 65_041, "lowres-unet": 92_993, "lowres-unet2": 102_241}


def test_the_registry_holds_the_zoo():
    assert set(PARAMS) <= set(ARCHITECTURES)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_architecture_is_fully_convolutional_with_its_weight_count(name):
    model = build_model(name)
    assert model.count_params() == PARAMS[name]
    x = np.random.default_rng(0).random((2, 56, 84, 1), dtype=np.float32)
    y = np.asarray(model(x))
    assert y.shape == x.shape and 0.0 <= y.min() and y.max() <= 1.0


def test_skips_change_the_function_not_the_weights():
    """seed-skip is the seed plus two Adds: with the seed's weights it computes something else."""
    seed, skip = build_model("seed"), build_model("seed-skip")
    skip.set_weights(seed.get_weights())
    x = np.random.default_rng(1).random((1, 28, 28, 1), dtype=np.float32)
    assert np.abs(np.asarray(seed(x)) - np.asarray(skip(x))).max() > 1e-3
    assert [type(layer).__name__ for layer in skip.layers].count("Add") == 2


def test_train_help_lists_every_architecture():
    from dae_train.cli import train

    result = CliRunner().invoke(train, ["--help"])
    assert result.exit_code == 0
    for name in ARCHITECTURES:
        assert name in result.output
    bad = CliRunner().invoke(train, ["--arch", "resnet", "--out", "x"])
    assert bad.exit_code == 2 and "resnet" in bad.output


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_the_receptive_radius_bounds_how_far_a_pixel_reaches(name):
    """The export's receptive_radius sets the runtime's tile overlap: it must never be too small."""
    from dae_export.model_shape import receptive_radius

    model = build_model(name)
    rng = np.random.default_rng(0)
    x = rng.random((1, 96, 96, 1), dtype=np.float32)
    poked = x.copy()
    poked[0, 48, 48, 0] = 1.0 - poked[0, 48, 48, 0]
    changed = np.argwhere(np.abs(np.asarray(model(poked)) - np.asarray(model(x)))[0, ..., 0] > 0)
    reach = int(np.abs(changed - 48).max())
    assert 0 < reach <= receptive_radius(model)
    if name == "seed":
        assert receptive_radius(model) == 16  # exact radius 11 (dae_runtime.tiles); the bound adds 5
