"""Keras -> TFLite fp32 and full-integer int8: the edge peer the ONNX runtime is measured against.

Keras 3 cannot go straight to TFLite here: UpSampling2D (ops.repeat) builds its reshape
target from tf.shape, so with a dynamic batch the converter loses the height and fails
("tf.Conv2D op is neither a custom op nor a flex op"). The route that works: a SavedModel
written by keras.export.ExportArchive whose endpoint computes each UpSampling2D with
tf.image.resize(nearest) (bit-identical for integer factors), then from_saved_model.
Both models keep float32 input/output (int8 I/O was no faster and burdens every caller).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dae_export.keras_to_onnx import INPUT_NAME, exact_forward
from dae_export.model_shape import input_side


def _saved_model(model, folder: Path) -> None:
    import keras
    import tensorflow as tf

    def upsample(layer, x):
        sh, sw = layer.size
        return tf.image.resize(x, tf.shape(x)[1:3] * tf.constant([sh, sw]), method="nearest")

    forward = exact_forward(model, upsample)

    archive = keras.export.ExportArchive()
    archive.track(model)
    side = input_side(model)  # the digit size, rounded up to the model's size multiple
    signature = tf.TensorSpec((None, side, side, 1), tf.float32, INPUT_NAME)
    archive.add_endpoint("serve", forward, input_signature=[signature])
    archive.write_out(str(folder), verbose=False)


def convert_tflite(model, calibrations: Sequence[np.ndarray | None] = (None,)) -> list[bytes]:
    """TFLite bytes per entry of `calibrations`: fp32 for None, full-integer int8 (float I/O) for calibration
    digits. One SavedModel for all of them (writing it costs as much as a conversion)."""
    import tensorflow as tf

    converted = []
    with tempfile.TemporaryDirectory(prefix="dae-tflite-") as tmp:
        _saved_model(model, Path(tmp))
        for calib_noisy in calibrations:
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
            if calib_noisy is not None:
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                converter.representative_dataset = _representative(calib_noisy)
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converted.append(converter.convert())
    return converted


def _representative(calib_noisy: np.ndarray):
    def representative():
        for i in range(len(calib_noisy)):
            yield [np.ascontiguousarray(calib_noisy[i : i + 1], np.float32)]

    return representative


def run_tflite(path: Path, x: np.ndarray, threads: int = 2) -> np.ndarray:
    """Run a TFLite model once, as `dae compare` runs it (dae_export.engines.tflite_engine)."""
    from dae_export.engines.tflite_engine import TfliteModel

    return TfliteModel(path, threads)(x)
