"""A U-Net that works at 14x14 and 7x7: the seed's head, a wider middle, skips, phase-friendly upsampling."""

from __future__ import annotations

from dae_train.architectures.blocks import relu_conv
from dae_train.architectures.registry import InputShape, register


@register("lowres-unet", batchnorm=True)
def build_lowres_unet(input_shape: InputShape = (None, None, 1), batchnorm: bool = False):
    """92,993 parameters; nothing but the first and last convs touches the 28x28 grid.

    The seed's first conv and pooling (32 channels), a conv at 14x14, two 64-channel convs at 7x7,
    then upsample + conv back to 14x14, an additive skip from the 14x14 encoder map, one more conv,
    and upsample + a 1-output conv. Every upsample feeds a 3x3 conv directly or through the Add, so
    the export runs them as phase convs at the lower resolution (dae_export.rewrites.phases):
    no Resize and no 28x28 map with more than one channel is left in the exported graph.
    """
    return _lowres_unet(input_shape, mid_convs=2, dec_convs=1, name="lowres_unet", batchnorm=batchnorm)


@register("lowres-unet2", batchnorm=True)
def build_lowres_unet2(input_shape: InputShape = (None, None, 1), batchnorm: bool = False):
    """102,241 parameters: lowres-unet with a second 32-channel conv at 14x14 after the skip.

    Measured 2026-11-26, 40-epoch runs side by side: 20.68 dB validation against lowres-unet's 20.52,
    for about 0.15x the seed's int8 batch-256 latency more (benchmarks/README.md)."""
    return _lowres_unet(input_shape, mid_convs=2, dec_convs=2, name="lowres_unet2", batchnorm=batchnorm)


def _lowres_unet(input_shape: InputShape, mid_convs: int, dec_convs: int, name: str, batchnorm: bool = False):
    """The model: `mid_convs` 64-channel convs at 7x7, `dec_convs` 32-channel convs at 14x14 after the skip."""
    import keras
    from keras import layers

    def conv(x, filters: int, conv_name: str):
        return relu_conv(x, filters, conv_name, batchnorm)

    inputs = keras.Input(shape=input_shape, name="input_1")
    x = conv(inputs, 32, "head")
    x = layers.MaxPooling2D(2, padding="same", name="pool28")(x)
    e14 = conv(x, 32, "enc14")
    x = layers.MaxPooling2D(2, padding="same", name="pool14")(e14)
    for i in range(1, mid_convs + 1):
        x = conv(x, 64, f"mid7_conv{i}")
    x = layers.UpSampling2D(2, name="up14")(x)
    x = conv(x, 32, "dec14_up")
    x = layers.Add(name="skip14")([x, e14])
    for i in range(dec_convs):
        x = conv(x, 32, "dec14" if i == 0 else f"dec14_{i + 1}")
    x = layers.UpSampling2D(2, name="up28")(x)
    outputs = layers.Conv2D(1, kernel_size=3, activation="sigmoid", padding="same", name="out")(x)
    return keras.Model(inputs, outputs, name=name)
