"""Run an exported model and prove it computes what the Keras model computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_export.config import INPUT_NAME
from dae_export.errors import ExportError

PARITY_TOLERANCE = 1e-4  # max abs difference, outputs in [0, 1]


def run_onnx(path: Path, x: np.ndarray, batch: int = 256) -> np.ndarray:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x = np.ascontiguousarray(x, np.float32)
    return np.concatenate([session.run(None, {INPUT_NAME: x[i : i + batch]})[0] for i in range(0, len(x), batch)])


def run_keras(model, x: np.ndarray, batch: int = 256) -> np.ndarray:
    import keras

    return np.concatenate(
        [keras.ops.convert_to_numpy(model(x[i : i + batch], training=False)) for i in range(0, len(x), batch)]
    )


def check_parity(path: Path, model, inputs: list[np.ndarray], tolerance: float = PARITY_TOLERANCE,
                 references: list[np.ndarray] | None = None) -> float:  # fmt: skip
    """Max abs difference over all inputs (against `references`, the Keras outputs for them, if the caller has
    them already); raises ExportError above tolerance or on a shape mismatch."""
    worst = 0.0
    for i, x in enumerate(inputs):
        ours, theirs = run_onnx(path, x), references[i] if references is not None else run_keras(model, x)
        if ours.shape != theirs.shape:  # broadcasting would hide a rank bug
            raise ExportError(f"ONNX output shape {ours.shape} differs from Keras {theirs.shape} for input {x.shape}")
        worst = max(worst, float(np.abs(ours - theirs).max()))
    if worst > tolerance:
        raise ExportError(f"ONNX and Keras outputs differ by {worst:.2e} (tolerance {tolerance:.0e}); export aborted")
    return worst
