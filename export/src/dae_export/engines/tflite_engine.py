"""TFLite models run one way everywhere in dae-edge: the export's parity check and `dae compare`.

The interpreter is ai-edge-litert's if installed (the maintained package), else the one TensorFlow
ships; XNNPACK is its default delegate. Input tensors are resized when the batch shape changes.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from dae_runtime.bench.engines import Engine


def interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    from dae_train.console import quiet_tensorflow

    quiet_tensorflow()
    from tensorflow.lite.python.interpreter import Interpreter

    return Interpreter


class TfliteModel:
    """A .tflite file behind one call: float32 (N, H, W, 1) in, the model's output (N, H, W, 1) out."""

    def __init__(self, path: str | Path, threads: int | None = None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter announces its move to ai-edge-litert
            self.interpreter = interpreter_class()(model_path=str(path), num_threads=threads or os.cpu_count() or 1)
        self._input = self.interpreter.get_input_details()[0]["index"]
        self._output = self.interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, np.float32)
        if self._shape != x.shape:
            self.interpreter.resize_tensor_input(self._input, x.shape)
            self.interpreter.allocate_tensors()
            self._shape = x.shape
        self.interpreter.set_tensor(self._input, x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self._output)


def tflite_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    model = TfliteModel(path, threads)
    return Engine("tflite", precision, Path(path), lambda x: model(x)[..., 0])
