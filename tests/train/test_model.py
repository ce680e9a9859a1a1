import numpy as np
import pytest

from dae_train.architectures import ARCHITECTURES, build_model

# The seed notebook's summary table (../shared/seed.md): layer, output shape, params.
SEED_SUMMARY = [
    ("input_1", "InputLayer", (None, 28, 28, 1), 0),
    ("conv2d_1", "Conv2D", (None, 28, 28, 32), 320),
    ("max_pooling2d_1", "MaxPooling2D", (None, 14, 14, 32), 0),
    ("conv2d_2", "Conv2D", (None, 14, 14, 32), 9248),
    ("max_pooling2d_2", "MaxPooling2D", (None, 7, 7, 32), 0),
    ("conv2d_3", "Conv2D", (None, 7, 7, 32), 9248),
    ("up_sampling2d_1", "UpSampling2D", (None, 14, 14, 32), 0),
    ("conv2d_4", "Conv2D", (None, 14, 14, 32), 9248),
    ("up_sampling2d_2", "UpSampling2D", (None, 28, 28, 32), 0),
    ("conv2d_5", "Conv2D", (None, 28, 28, 1), 289),
]


def summary_rows(model):
    rows = []
    for layer in model.layers:
        shape = layer.output.shape if hasattr(layer, "output") else layer.batch_shape
        rows.append((layer.name, type(layer).__name__, tuple(shape), layer.count_params()))
    return rows


def test_seed_architecture_matches_the_notebook_summary():
    model = build_model("seed", input_shape=(28, 28, 1))
    assert summary_rows(model) == SEED_SUMMARY
    assert model.count_params() == 28_353
    assert model.layers[-1].activation.__name__ == "sigmoid"
    assert all(layer.activation.__name__ == "relu" for layer in model.layers[1:-1] if hasattr(layer, "activation"))


def test_default_model_has_open_spatial_size_and_same_weights_count():
    model = build_model()
    assert tuple(model.input.shape) == (None, None, None, 1)
    assert model.count_params() == 28_353
    out = model(np.zeros((3, 56, 84, 1), np.float32))
    assert tuple(out.shape) == (3, 56, 84, 1)


def test_registry_rejects_unknown_names():
    assert "seed" in ARCHITECTURES
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet")
