"""Fold a model trained with BatchNormalization back into its plain architecture.

Each `conv -> BN -> ReLU` of a batchnorm build (dae_train.architectures.blocks.relu_conv) becomes
one conv with a bias, at the BN's inference statistics: k' = k * g / sqrt(var + eps) per output
channel and b' = beta - mean * g / sqrt(var + eps). The result is the architecture's plain model,
the same function to float rounding, so export, int8 and the runtime never see a BN layer.
"""

from __future__ import annotations

import numpy as np

from dae_train.architectures.blocks import BN_SUFFIX


def has_batchnorm(model) -> bool:
    import keras

    return any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)


def fold_batchnorm(model, arch: str):
    """The plain `arch` model carrying `model`'s weights with every BN folded into its conv."""
    import keras

    from dae_train.architectures import build_model

    plain = build_model(arch, input_shape=tuple(model.inputs[0].shape[1:]))
    layers = {layer.name: layer for layer in model.layers}
    folded = set()
    for layer in plain.layers:
        if not layer.weights:
            continue
        if layer.name not in layers:
            raise ValueError(f"cannot fold into {arch}: the model has no layer {layer.name}")
        source, bn = layers[layer.name], layers.get(layer.name + BN_SUFFIX)
        if bn is None:
            layer.set_weights(source.get_weights())
            continue
        (kernel,) = source.get_weights()
        gamma, beta, mean, var = (np.asarray(w, dtype=np.float64) for w in bn.get_weights())
        scale = gamma / np.sqrt(var + bn.epsilon)
        layer.set_weights([(kernel * scale).astype(np.float32), (beta - mean * scale).astype(np.float32)])
        folded.add(bn.name)
    left = [x.name for x in model.layers if isinstance(x, keras.layers.BatchNormalization) and x.name not in folded]
    if left:
        raise ValueError(f"cannot fold {', '.join(left)} into {arch}: no conv of that name")
    return plain
