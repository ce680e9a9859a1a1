"""Models with random weights and biases for the rewrite tests (tf2onnx drops zero biases, so a
mis-tiled bias shows), and a way to run an ONNX ModelProto."""

from __future__ import annotations

import numpy as np


def random_model(arch: str):
    import keras

    from dae_train.architectures import build_model

    keras.utils.set_random_seed(5)
    return with_random_biases(build_model(arch), seed=6)


def with_random_biases(model, seed: int):
    """`model` with normal(0, 0.1) biases in every layer that has weights."""
    for layer in model.layers:
        if layer.weights:
            w, b = layer.get_weights()
            layer.set_weights([w, np.random.default_rng(seed).normal(0, 0.1, b.shape).astype(np.float32)])
    return model


def run_proto(proto, x):
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]
