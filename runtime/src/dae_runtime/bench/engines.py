"""The engines `dae compare` measures. Each turns a float32 (N, 28, 28, 1) batch into (N, 28, 28).

Keras and TFLite need TensorFlow (or ai-edge-litert) and are imported only when asked for,
so the comparison also runs on a device that has only onnxruntime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Engine:
    engine: str  # keras | onnxruntime | tflite
    precision: str  # fp32 | int8
    path: Path
    run: Callable[[np.ndarray], np.ndarray]
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.engine} {self.precision}"

    @property
    def model_bytes(self) -> int:
        return self.path.stat().st_size


def keras_engine(path: Path) -> Engine:
    """The Keras model called directly (model(x)): the fastest way to run it without conversion."""
    from dae_train.console import quiet_tensorflow

    problem = keras_file_problem(path)  # before the slow TensorFlow import
    if problem:
        raise ValueError(problem)
    quiet_tensorflow()
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a file that is not a model
        raise ValueError(f"{path} could not be loaded as a Keras model ({type(exc).__name__})") from None
    check_keras_gray(model, path)

    def run(x: np.ndarray) -> np.ndarray:
        return keras.ops.convert_to_numpy(model(x, training=False))[..., 0]

    engine = Engine("keras", "fp32", path, run, note="model(x); predict() adds per-call overhead")
    engine.predict = lambda x: model.predict(x, verbose=0, batch_size=len(x))  # type: ignore[attr-defined]
    return engine


_KERAS_MAGIC = {".keras": (b"PK", "a .keras zip archive"), ".h5": (b"\x89HDF\r\n\x1a\n", "an HDF5 file")}


def keras_file_problem(path) -> str | None:
    """Why `path` cannot be a Keras model file, judged from its name and first bytes (Keras itself
    says "File not found" for a file that exists but is not a model), or None."""
    path = Path(path)
    if not path.is_file():
        return f"model file {path} does not exist"
    if path.suffix not in _KERAS_MAGIC:
        return f"{path} is not a Keras model file (.keras or .h5)"
    magic, what = _KERAS_MAGIC[path.suffix]
    try:
        with open(path, "rb") as f:
            head = f.read(len(magic))
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    return None if head == magic else f"{path} is not a Keras model: not {what}"


def check_keras_gray(model, path) -> None:
    """A Keras model must take and give gray images (N, H, W, 1), or it fails later in a long traceback."""
    for role in ("input", "output"):
        try:
            tensors = list(getattr(model, role + "s"))
            shape = tuple(tensors[0].shape) if len(tensors) == 1 else None
        except (AttributeError, TypeError, ValueError):
            tensors, shape = [], None
        if shape is None:
            raise ValueError(f"{path} has {len(tensors)} {role}s: not a denoiser (one image in, one out)")
        if len(shape) != 4 or shape[-1] != 1:
            shown = "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
            raise ValueError(f"{path}: its {role} has shape {shown}, not gray images (N, H, W, 1)")


def onnx_engine(path: Path, threads: int | None) -> Engine:
    from dae_runtime.denoiser import Denoiser, SessionConfig

    denoiser = Denoiser(path, session=SessionConfig(threads=threads))
    return Engine("onnxruntime", denoiser.precision if denoiser.precision != "unknown" else "fp32", path,
                  denoiser.denoise_batch)  # fmt: skip


def _tflite_interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter  # the maintained package

        return Interpreter
    except ImportError:
        pass
    from dae_train.console import quiet_tensorflow

    quiet_tensorflow()
    from tensorflow.lite.python.interpreter import Interpreter

    return Interpreter


def tflite_engine(path: Path, precision: str, threads: int | None) -> Engine:
    """TFLite with XNNPACK (the interpreter's default delegate), resized per batch size."""
    import os
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter announces its move to ai-edge-litert
        interpreter = _tflite_interpreter_class()(model_path=str(path), num_threads=threads or os.cpu_count() or 1)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    shape = [None]

    def run(x: np.ndarray) -> np.ndarray:
        if shape[0] != x.shape:
            interpreter.resize_tensor_input(inp["index"], x.shape)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"])[..., 0]

    return Engine("tflite", precision, path, run)


def tflite_available() -> bool:
    try:
        _tflite_interpreter_class()
    except ImportError:
        return False
    return True


def discover(models_dir: Path | None, keras_path: Path | None, threads: int | None) -> list[Engine]:
    """Every engine whose model is present (and whose runtime is installed)."""
    engines = []
    if keras_path is not None:
        engines.append(keras_engine(keras_path))
    if models_dir is not None:
        for name in ("model.onnx", "model.int8.onnx"):
            if (models_dir / name).is_file():
                engines.append(onnx_engine(models_dir / name, threads))
        tflite = [
            (n, p) for n, p in (("model.tflite", "fp32"), ("model.int8.tflite", "int8")) if (models_dir / n).is_file()
        ]
        if tflite and tflite_available():
            engines += [tflite_engine(models_dir / n, p, threads) for n, p in tflite]
    return engines
