"""Model architectures, by name.

Callers ask for `build_model(name)`; a new architecture is one more function and
one line in ARCHITECTURES, nothing else changes. Every architecture is fully
convolutional with an open spatial size; its depth (number of 2x2 poolings) sets the
multiple that a frame's sides must have, which the export reads from the model itself.
"""

from __future__ import annotations

from collections.abc import Callable

CONV = dict(kernel_size=3, activation="relu", padding="same")


def build_seed(input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
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


def build_seed_skip(input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
    """The seed's layers and weights count (28,353) plus two additive skips.

    The encoder's 28x28 and 14x14 feature maps are added to the decoder's upsampled maps
    of the same size before its next conv: the decoder no longer has to rebuild fine
    detail from the 7x7 bottleneck alone. Anchor (issue 14, PyTorch): 20.48 dB against
    the seed's 20.07 at 1.19x its fp32 cost.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input_1")
    e28 = layers.Conv2D(32, name="conv2d_1", **CONV)(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_1")(e28)
    e14 = layers.Conv2D(32, name="conv2d_2", **CONV)(x)
    x = layers.MaxPooling2D(2, padding="same", name="max_pooling2d_2")(e14)
    x = layers.Conv2D(32, name="conv2d_3", **CONV)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_1")(x)
    x = layers.Add(name="skip_14")([x, e14])
    x = layers.Conv2D(32, name="conv2d_4", **CONV)(x)
    x = layers.UpSampling2D(2, name="up_sampling2d_2")(x)
    x = layers.Add(name="skip_28")([x, e28])
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="conv2d_5")(x)
    return keras.Model(inputs, outputs, name="seed_skip")


def build_unet(input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
    """A small U-Net: 16 channels at 28x28, 32 at 14x14 and 7x7, two convs per block,
    concatenated skips; 65,041 parameters. Anchor (issue 14, PyTorch): 21.03 dB at 2.0x
    the seed's fp32 cost.
    """
    import keras
    from keras import layers

    def block(x, channels: tuple[int, int], name: str):
        for i, c in enumerate(channels, 1):
            x = layers.Conv2D(c, name=f"{name}_conv{i}", **CONV)(x)
        return x

    inputs = keras.Input(shape=input_shape, name="input_1")
    e28 = block(inputs, (16, 16), "enc28")
    x = layers.MaxPooling2D(2, padding="same", name="pool28")(e28)
    e14 = block(x, (32, 32), "enc14")
    x = layers.MaxPooling2D(2, padding="same", name="pool14")(e14)
    x = block(x, (32, 32), "mid7")
    x = layers.UpSampling2D(2, name="up14")(x)
    x = layers.Concatenate(name="skip14")([x, e14])
    x = block(x, (32, 16), "dec14")
    x = layers.UpSampling2D(2, name="up28")(x)
    x = layers.Concatenate(name="skip28")([x, e28])
    x = block(x, (16, 16), "dec28")
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="out")(x)
    return keras.Model(inputs, outputs, name="unet")


ARCHITECTURES: dict[str, Callable] = {
    "seed": build_seed,
    "seed-skip": build_seed_skip,
    "unet": build_unet,
}


def build_model(name: str = "seed", input_shape: tuple[int | None, int | None, int] = (None, None, 1)):
    try:
        builder = ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}") from None
    return builder(input_shape)
