"""PSNR/SSIM of a trained Keras model against classical filters, per noise level."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.baselines import BASELINES
from dae_runtime.metrics import quality
from dae_runtime.noise import NoiseSpec
from dae_train.config import DEFAULT_SIGMAS


@dataclass
class EvalConfig:
    model: str  # path to a .keras model
    data: str = "auto"  # same sources as training; uses the test split, else validation digits
    noise_kind: str = "gaussian"
    sigmas: tuple[float, ...] = DEFAULT_SIGMAS
    limit: int = 1000  # digits to evaluate (non-local means costs ~2 ms per digit)
    seed: int = 0  # noise draw
    baselines: bool = True  # also run the classical filters


def load_keras_model(path: str | Path):
    """keras.models.load_model with the user-facing errors the CLI needs."""
    from dae_train.keras_file import check_keras_gray, keras_file_problem

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    problem = keras_file_problem(path)
    if problem:
        raise ValueError(problem)
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a damaged file
        raise ValueError(f"{path} could not be loaded as a Keras model ({type(exc).__name__})") from exc
    check_keras_gray(model, path)
    return model


def evaluate(cfg: EvalConfig) -> list[dict]:
    """Rows of {sigma, method, psnr_db, ssim} for the noisy input, the model and each baseline."""
    from dae_train.data import load_mnist

    model = load_keras_model(cfg.model)
    digits = load_mnist(cfg.data).evaluation_set()
    clean = digits.as_float()[: cfg.limit]
    rows = []
    for i, sigma in enumerate(cfg.sigmas):
        noisy = NoiseSpec(cfg.noise_kind, sigma).apply(clean, np.random.default_rng([cfg.seed, i]))
        outputs = {"noisy input": noisy, "autoencoder": model.predict(noisy, batch_size=512, verbose=0)}
        if cfg.baselines:
            outputs.update({name: fn(noisy, sigma) for name, fn in BASELINES.items()})
        for method, out in outputs.items():
            rows.append({"sigma": sigma, "method": method, **quality(out, clean)})
    return rows


def format_table(rows: list[dict]) -> str:
    """A Markdown table: one line per noise level, PSNR dB / SSIM per method."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    sigmas = list(dict.fromkeys(r["sigma"] for r in rows))
    cell = {(r["sigma"], r["method"]): f"{r['psnr_db']:.2f} / {r['ssim']:.3f}" for r in rows}
    lines = [
        "| sigma | " + " | ".join(methods) + " |",
        "|---:|" + "---:|" * len(methods),
    ]
    lines += [f"| {s:g} | " + " | ".join(cell[(s, m)] for m in methods) + " |" for s in sigmas]
    return "\n".join(lines) + "\n\nCells: mean PSNR dB / mean SSIM over digits."
