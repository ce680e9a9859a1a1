"""The seed notebook's convolutional autoencoder (the shipped model)."""

from __future__ import annotations

from dae_train.architectures.registry import InputShape, register

CONV = dict(kernel_size=3, activation="relu", padding="same")


@register("seed")
def build_seed(input_shape: InputShape = (None, None, 1)):
    """The seed notebook's convolutional autoencoder, 28,353 parameters.

    The spatial size is open by default: the network is fully convolutional, so the
    same weights denoise a 28x28 digit or a whole frame whose sides are multiples of 4.
    Layer names follow the seed's summary table.
    """
    return seed_autoencoder(input_shape, skips=False, name="model_1")


def seed_autoencoder(input_shape: InputShape, skips: bool, name: str):
    """The seed's layers, in the seed's order (so a seed draws the same kernels), with or without the
    additive skips of seed-skip from the encoder's 28x28 and 14x14 maps into the decoder."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input_1")
    e28 = layers.Conv2D(32, name="conv2d_1", **CONV)(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_1")(e28)
    e14 = layers.Conv2D(32, name="conv2d_2", **CONV)(x)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_2")(e14)
    x = layers.Conv2D(32, name="conv2d_3", **CONV)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_1")(x)
    x = layers.Add(name="skip_14")([x, e14]) if skips else x
    x = layers.Conv2D(32, name="conv2d_4", **CONV)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_2")(x)
    x = layers.Add(name="skip_28")([x, e28]) if skips else x
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="conv2d_5")(x)
    return keras.Model(inputs, outputs, name=name)
