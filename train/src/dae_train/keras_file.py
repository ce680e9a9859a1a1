"""Whether a file can be a Keras denoiser, judged before the slow Keras import and after loading."""

from __future__ import annotations

from pathlib import Path

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
