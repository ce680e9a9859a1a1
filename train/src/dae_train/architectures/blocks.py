"""Building blocks shared by architectures."""

from __future__ import annotations

BN_SUFFIX = "_bn"  # the BatchNormalization after conv `name` is `name + BN_SUFFIX` (dae_train.batchnorm_fold)


def relu_conv(x, filters: int, name: str, batchnorm: bool = False):
    """A 3x3 'same' conv with ReLU, named `name`.

    With batchnorm it is Conv (no bias) -> BatchNormalization -> ReLU, which trains faster and
    folds back into one conv `name` with a bias: the saved model is the plain architecture.
    The layers are made in the same order either way, so a seed draws the same conv kernels.
    """
    from keras import layers

    if not batchnorm:
        return layers.Conv2D(filters, 3, activation="relu", padding="same", name=name)(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=name + BN_SUFFIX)(x)
    return layers.ReLU(name=name + "_relu")(x)
