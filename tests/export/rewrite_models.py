"""Models with random weights and biases for the rewrite tests (tf2onnx drops zero biases, so a
mis-tiled bias shows), and a way to run an ONNX ModelProto."""

from __future__ import annotations

import numpy as np


def random_model(arch: str):
    import keras

    from dae_train.architectures import build_model

    keras.utils.set_random_seed(5)
    model = build_model(arch)
    for layer in model.layers:
        if layer.weights:
            w, b = layer.get_weights()
            layer.set_weights([w, np.random.default_rng(6).normal(0, 0.1, b.shape).astype(np.float32)])
    return model


def run_proto(proto, x):
    import onnxruntime as ort

    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]
