"""The pretrained models shipped inside the runtime package (exported by `make model`)."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).parent / "models"
PRECISIONS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


def default_model_path(precision: str = "fp32") -> Path:
    """Path of the shipped pretrained ONNX model: fp32 (default) or int8."""
    try:
        name = PRECISIONS[precision]
    except KeyError:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}") from None
    path = MODELS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"the shipped model {path} is missing; reinstall dae-edge-runtime")
    return path
