"""The pretrained models shipped inside the runtime package (`make ship`, `make ship-zoo`).

Each shipped model is a folder models/<name>/ with the same three files (model.onnx, model.int8.onnx,
manifest.json); "seed", the mission's model, is the default. A new shipped model is one folder.
"""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).parent / "models"
SHIPPED_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}  # precision -> file of a shipped model
DEFAULT_MODEL = "seed"


def shipped_models() -> dict[str, Path]:
    """Name -> folder of every model shipped in the package, the default first."""
    folders = sorted(p for p in MODELS_DIR.iterdir() if (p / "manifest.json").is_file()) if MODELS_DIR.is_dir() else []
    found = {p.name: p for p in folders}
    return {name: found[name] for name in sorted(found, key=lambda n: n != DEFAULT_MODEL)}


def shipped_model_path(name: str = DEFAULT_MODEL, precision: str = "fp32") -> Path:
    """Path of a shipped ONNX model by name (see shipped_models()) and precision (fp32 or int8)."""
    try:
        file_name = SHIPPED_FILES[precision]
    except KeyError:
        raise ValueError(f"precision must be one of {', '.join(SHIPPED_FILES)}, got {precision!r}") from None
    models = shipped_models()
    if name not in models:
        raise ValueError(f"no shipped model named {name!r}; shipped: {', '.join(models)}")
    path = models[name] / file_name
    if not path.is_file():
        raise FileNotFoundError(f"the shipped model {path} is missing; reinstall dae-edge-runtime")
    return path


def default_model_path(precision: str = "fp32") -> Path:
    """Path of the shipped default (seed) ONNX model: fp32 (default) or int8."""
    return shipped_model_path(DEFAULT_MODEL, precision)


def resolve_model(model: str | None, precision: str = "fp32") -> Path:
    """What `--model` names: an existing file, else a shipped model's name, else (None) the default."""
    if model is None:
        return default_model_path(precision)
    if not model.strip():
        raise ValueError(
            f"--model is empty: give an ONNX file or a shipped model's name ({', '.join(shipped_models())})"
        )
    path = Path(model)
    name = model.rstrip("/")  # "seed/" cannot be a file: it means the shipped folder
    if name in shipped_models() and (model != name or not path.is_file()):
        return shipped_model_path(name, precision)
    if not path.exists() and path.name == model and not path.suffix:  # a bare word: a name, not a file
        raise ValueError(f"no model file or shipped model named {model!r}; shipped: {', '.join(shipped_models())}")
    return path  # the Denoiser says in one line what is wrong with a bad file
