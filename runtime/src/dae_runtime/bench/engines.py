"""The engines `dae compare` measures, and the registry it finds them in.

Each engine turns a float32 (N, H, W, 1) batch into (N, H, W). The runtime brings onnxruntime only;
other engines come from installed packages through the `dae_edge.engines` entry-point group (the
export package adds keras and tflite) or from `register_engine` in the same process. A device with
the runtime alone therefore measures onnxruntime, and nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np

from dae_runtime.registry import Registry, RegistryError

ENTRY_POINT_GROUP = "dae_edge.engines"
PRECISIONS = ("fp32", "int8")


@dataclass
class Engine:
    engine: str  # a registry name: onnxruntime, keras, tflite...
    precision: str  # fp32 | int8
    path: Path
    run: Callable[[np.ndarray], np.ndarray]
    # Other ways to call the same model, timed a few times and reported as notes, not rows
    # (Keras: predict(), which adds per-call overhead to model(x)).
    also_timed: dict[str, Callable[[np.ndarray], object]] = field(default_factory=dict)
    model: str = ""  # which model, when one run compares several (dae compare --models A --models B)
    files: tuple[Path, ...] = ()  # the model's other files (ncnn's weights beside its .param), in model_bytes

    @property
    def name(self) -> str:
        return f"{self.model} {self.engine} {self.precision}".lstrip()

    @property
    def model_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, *self.files))


# (model path, precision, threads or None for all cores) -> a ready Engine
EngineLoader = Callable[[Path, str, int | None], Engine]


def onnx_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    """The runtime's own Denoiser, as it loads `path` on this CPU (the manifest's variant for this CPU's
    features, if it names one: dae_runtime.cpu_variant); its precision is read from the model."""
    from dae_runtime.denoiser import Denoiser, SessionConfig

    denoiser = Denoiser(path, session=SessionConfig(threads=threads))
    found = denoiser.precision if denoiser.precision != "unknown" else precision
    return Engine("onnxruntime", found, denoiser.path, denoiser.denoise_batch)


ENGINES: Registry[EngineLoader] = Registry("engine")  # in-process registrations (register_engine)


def register_engine(name: str, load: EngineLoader) -> None:
    """Make engine `name` available in this process. A name onnxruntime or an installed entry point
    already has is refused, like any other taken name (dae_runtime.registry)."""
    if name in _installed_loaders():
        raise RegistryError(f"engine {name!r} is already registered (by an installed package)")
    ENGINES.register(name, load)


def _from_entry_point(entry) -> EngineLoader:
    def load(path: Path, precision: str, threads: int | None) -> Engine:
        return entry.load()(path, precision, threads)  # imported only when used

    return load


def _installed_loaders() -> dict[str, EngineLoader]:
    """onnxruntime and the engines of installed packages (the `dae_edge.engines` entry points)."""
    loaders: dict[str, EngineLoader] = {"onnxruntime": onnx_engine}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in loaders:
            raise RegistryError(f"engine {entry.name!r} is already registered (two packages declare it)")
        loaders[entry.name] = _from_entry_point(entry)
    return loaders


def engine_loaders() -> dict[str, EngineLoader]:
    """Every engine this installation has: onnxruntime, entry points, then in-process registrations."""
    return {**_installed_loaders(), **dict(ENGINES.items())}


def engine_names() -> list[str]:
    return list(engine_loaders())


def export_models(models_dir: Path) -> list[tuple[Path, str, str]]:
    """(model path, engine, precision) of each model an export folder's manifest lists with its engine, in
    the manifest's order, but for CPU variants (the runtime loads them in their base file's place, so the base
    file's row measures what this CPU runs); [] for a folder without a manifest. EngineError (one line) for a
    manifest that cannot be read, or one that names no engine (dae export before 2026-11-26 wrote those)."""
    from dae_runtime.manifest import MANIFEST_FILE, ManifestError, load_manifest

    if not (models_dir / MANIFEST_FILE).is_file():
        return []
    try:
        files = load_manifest(models_dir)["files"]
    except ManifestError as exc:
        raise EngineError(str(exc)) from None
    listed = [
        (models_dir / name, entry["engine"], str(entry.get("precision", "fp32")))
        for name, entry in files.items()
        if isinstance(entry.get("engine"), str) and _inside(name) and "variant_of" not in entry
    ]
    if not listed:
        raise EngineError(
            f"{models_dir / MANIFEST_FILE} names no model's engine (an export older than 2026-11-26): "
            "export the model again with dae export"
        )
    return listed


def _inside(name: str) -> bool:
    return not Path(name).is_absolute() and ".." not in Path(name).parts


class EngineError(Exception):
    """A model its engine cannot load; the message names the file and is for the user as is."""


def _load(loader: EngineLoader, engine: str, path: Path, precision: str, threads: int | None) -> Engine:
    try:
        return loader(path, precision, threads)
    except Exception as exc:  # noqa: BLE001 - each engine's library raises its own types for a bad model
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EngineError(f"{path.name} ({engine}): {reason}") from exc


@dataclass
class Discovered:
    engines: list[Engine]
    skipped: list[str]  # models present whose engine is not installed here, one line each


def discover(models_dir: Path | None, keras_path: Path | None, threads: int | None) -> Discovered:
    """Every engine whose model is present and whose engine is installed.

    A Keras model given explicitly needs the keras engine; a model its engine cannot load is an
    EngineError naming the file.
    """
    loaders = engine_loaders()
    engines, skipped = [], []
    if keras_path is not None:
        if "keras" not in loaders:
            raise EngineError("--keras needs the keras engine, which comes with dae-edge-export (TensorFlow)")
        engines.append(_load(loaders["keras"], "keras", keras_path, "fp32", threads))
    for path, engine, precision in export_models(models_dir) if models_dir is not None else []:
        if not path.is_file():
            skipped.append(f"{path.name}: listed in the manifest but missing")
        elif engine not in loaders:
            skipped.append(f"{path.name}: no {engine} engine installed here")
        else:
            engines.append(_load(loaders[engine], engine, path, precision, threads))
    return Discovered(engines, skipped)
