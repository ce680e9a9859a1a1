"""A U-Net that works at 14x14 and 7x7: the seed's head, a wider middle, skips, phase-friendly upsampling."""

from __future__ import annotations

from dae_train.architectures.registry import InputShape, register
from dae_train.architectures.seed import CONV


@register("lowres-unet")
def build_lowres_unet(input_shape: InputShape = (None, None, 1)):
    """92,993 parameters; nothing but the first and last convs touches the 28x28 grid.

    The seed's first conv and pooling (32 channels), a conv at 14x14, two 64-channel convs at 7x7,
    then upsample + conv back to 14x14, an additive skip from the 14x14 encoder map, one more conv,
    and upsample + a 1-output conv. Every upsample feeds a 3x3 conv directly or through the Add, so
    the export runs them as phase convs at the lower resolution (dae_export.fast_graph_phases):
    no Resize and no 28x28 map with more than one channel is left in the exported graph.
    """
    return _lowres_unet(input_shape, mid_convs=2, name="lowres_unet")


def _lowres_unet(input_shape: InputShape, mid_convs: int, name: str):
    """The model: `mid_convs` 64-channel convs at 7x7."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input_1")
    x = layers.Conv2D(32, name="head", **CONV)(inputs)
    x = layers.MaxPooling2D(2, padding="same", name="pool28")(x)
    e14 = layers.Conv2D(32, name="enc14", **CONV)(x)
    x = layers.MaxPooling2D(2, padding="same", name="pool14")(e14)
    for i in range(1, mid_convs + 1):
        x = layers.Conv2D(64, name=f"mid7_conv{i}", **CONV)(x)
    x = layers.UpSampling2D(2, name="up14")(x)
    x = layers.Conv2D(32, name="dec14_up", **CONV)(x)
    x = layers.Add(name="skip14")([x, e14])
    x = layers.Conv2D(32, name="dec14", **CONV)(x)
    x = layers.UpSampling2D(2, name="up28")(x)
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="out")(x)
    return keras.Model(inputs, outputs, name=name)
