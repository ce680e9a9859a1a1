"""A small U-Net with concatenated skips."""

from __future__ import annotations

from dae_train.architectures.registry import InputShape, register
from dae_train.architectures.seed import CONV


@register("unet")
def build_unet(input_shape: InputShape = (None, None, 1)):
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
