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
    import keras
    from keras import layers

    conv = CONV
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
