"""Training with BatchNormalization (`dae train --batchnorm`): the saved model is the plain architecture."""

import keras
import numpy as np
import pytest

from dae_train.architectures import build_model
from dae_train.batchnorm_fold import fold_batchnorm, has_batchnorm
from dae_train.config import TrainConfig


def with_random_statistics(model, seed: int = 0):
    """Give every BN layer non-trivial statistics, as a trained one has (fresh ones are 0/1 and fold to nothing)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 2, n), rng.normal(0, 0.3, n), rng.normal(0, 0.3, n), rng.uniform(0.2, 3, n)]
            )
    return model


@pytest.mark.parametrize("arch", ["lowres-unet", "lowres-unet2"])
def test_the_folded_model_is_the_plain_architecture_computing_the_same(arch):
    trained = with_random_statistics(build_model(arch, batchnorm=True))
    folded = fold_batchnorm(trained, arch)

    assert has_batchnorm(trained) and not has_batchnorm(folded)
    assert [layer.name for layer in folded.layers] == [layer.name for layer in build_model(arch).layers]
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    expected = keras.ops.convert_to_numpy(trained(x, training=False))
    assert np.abs(keras.ops.convert_to_numpy(folded(x)) - expected).max() < 1e-5


def test_a_seed_draws_the_same_conv_kernels_with_and_without_batchnorm():
    keras.utils.set_random_seed(3)
    plain = build_model("lowres-unet2")
    keras.utils.set_random_seed(3)
    normed = build_model("lowres-unet2", batchnorm=True)
    for layer in plain.layers:
        if isinstance(layer, keras.layers.Conv2D):
            assert np.array_equal(layer.get_weights()[0], normed.get_layer(layer.name).get_weights()[0])


def test_a_model_of_another_architecture_is_refused():
    with pytest.raises(ValueError, match="cannot fold into seed: the model has no layer conv2d_1"):
        fold_batchnorm(build_model("lowres-unet", batchnorm=True), "seed")
    with pytest.raises(ValueError, match="cannot fold dec14_2_bn into lowres-unet: no conv of that name"):
        fold_batchnorm(build_model("lowres-unet2", batchnorm=True), "lowres-unet")


def test_architectures_without_a_batchnorm_build_are_refused():
    with pytest.raises(ValueError, match="lowres-unet, lowres-unet2 train with batchnorm; 'seed' does not"):
        build_model("seed", batchnorm=True)
    with pytest.raises(ValueError, match="--batchnorm works with lowres-unet, lowres-unet2, not unet"):
        TrainConfig(arch="unet", batchnorm=True).validate()


@pytest.mark.slow
def test_a_batchnorm_run_saves_the_folded_best_model(tmp_path, mnist_npz):
    from dae_train import checkpoint
    from dae_train.trainer import train

    cfg = TrainConfig(
        data=str(mnist_npz), epochs=1, batch_size=64, arch="lowres-unet", batchnorm=True, seed=2, xla=False
    )
    report = train(cfg, tmp_path / "run")

    saved = keras.models.load_model(tmp_path / "run" / "model.keras")
    last = keras.models.load_model(checkpoint.latest(tmp_path / "run" / "checkpoints") / checkpoint.MODEL_NAME)
    assert not has_batchnorm(saved) and has_batchnorm(last)  # the checkpoint keeps BN for --resume
    assert report["config"]["batchnorm"] is True and report["params"] == build_model("lowres-unet").count_params()
    x = np.random.default_rng(4).random((4, 28, 28, 1), dtype=np.float32)
    assert (
        np.abs(keras.ops.convert_to_numpy(saved(x)) - keras.ops.convert_to_numpy(last(x, training=False))).max() < 1e-5
    )
