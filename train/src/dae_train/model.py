"""Model architectures, by name.

Callers ask for `build_model(name)`; a new architecture is one more function and
one line in ARCHITECTURES, nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable


def build_seed(input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
    """The seed notebook's convolutional autoencoder, 28,353 parameters.

    The spatial size is open by default: the network is fully convolutional, so the
    same weights denoise a 28x28 digit or a whole frame whose sides are multiples of 4.
    Layer names follow the seed's summary table.
    """
    import keras
    from keras import layers

    conv = dict(kernel_size=3, activation="relu", padding="same")
    inputs = keras.Input(shape=input_shape, name="input_1")
    x = layers.Conv2D(32, name="conv2d_1", **conv)(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_1")(x)
    x = layers.Conv2D(32, name="conv2d_2", **conv)(x)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_2")(x)
    x = layers.Conv2D(32, name="conv2d_3", **conv)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_1")(x)
    x = layers.Conv2D(32, name="conv2d_4", **conv)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_2")(x)
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="conv2d_5")(x)
    return keras.Model(inputs, outputs, name="model_1")


ARCHITECTURES: dict[str, Callable] = {
    "seed": build_seed,
}


def build_model(name: str = "seed", input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
    try:
        builder = ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}") from None
    return builder(input_shape)
