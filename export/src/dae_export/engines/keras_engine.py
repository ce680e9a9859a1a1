"""The Keras original as a `dae compare` engine, called directly (model(x)): the fastest way to run
it without conversion. predict() is timed beside it as a note (it adds per-call overhead)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_runtime.bench.engines import Engine


def keras_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    """Keras runs the model as saved (fp32) on TensorFlow's own threads: `precision` and `threads` are
    accepted for the engine interface and not used."""
    from dae_train.console import quiet_tensorflow
    from dae_train.keras_file import keras_file_problem

    problem = keras_file_problem(path)  # before the slow TensorFlow import
    if problem:
        raise ValueError(problem)
    quiet_tensorflow()
    import keras

    from dae_train.evaluate import load_keras_model

    model = load_keras_model(path)

    def run(x: np.ndarray) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(x, training=False))[..., 0]

    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict(x, verbose=0, batch_size=len(x))

    return Engine("keras", "fp32", Path(path), run, also_timed={"predict()": predict})
