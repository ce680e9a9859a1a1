"""A U-Net that does its work at 14x14 and 7x7: the seed's head and tail, a wider middle."""

from __future__ import annotations

from dae_train.architectures.registry import InputShape, register
from dae_train.architectures.seed import CONV


def _lowres_unet(input_shape: InputShape, wide: int, mid_convs: int, name: str):
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input_1")
    x = layers.Conv2D(32, name="head", **CONV)(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="pool28")(x)
    e14 = layers.Conv2D(32, name="enc14", **CONV)(x)
    x = layers.MaxPooling2D(2, padding="same", name="pool14")(e14)
    for i in range(1, mid_convs + 1):
        x = layers.Conv2D(wide, name=f"mid7_conv{i}", **CONV)(x)
    x = layers.UpSampling2D(2, name="up14")(x)
    x = layers.Conv2D(32, name="dec14_up", **CONV)(x)
    x = layers.Add(name="skip14")([x, e14])
    x = layers.Conv2D(32, name="dec14", **CONV)(x)
    x = layers.UpSampling2D(2, name="up28")(x)
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="out")(x)
    return keras.Model(inputs, outputs, name=name)


@register("lowres-unet")
def build_lowres_unet(input_shape: InputShape = (None, None, 1)):
    return _lowres_unet(input_shape, 64, 2, "lowres_unet")


@register("lowres-unet-48")
def build_lowres_unet_48(input_shape: InputShape = (None, None, 1)):
    return _lowres_unet(input_shape, 48, 2, "lowres_unet_48")


@register("lowres-unet-64x3")
def build_lowres_unet_64x3(input_shape: InputShape = (None, None, 1)):
    return _lowres_unet(input_shape, 64, 3, "lowres_unet_64x3")
