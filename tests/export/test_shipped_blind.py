"""The shipped blind-noise model (models/seed-skip-blind) beats the classical filters at every level."""

from pathlib import Path

import numpy as np
import pytest

from dae_runtime.baselines import gaussian3, median3
from dae_runtime.denoiser import Denoiser
from dae_runtime.manifest import verify_manifest
from dae_runtime.metrics import psnr
from dae_runtime.noise import NoiseSpec
from dae_train.config import DEFAULT_SIGMAS
from dae_train.data import load_mnist

EXPORT = Path(__file__).resolve().parents[2] / "models" / "seed-skip-blind" / "export"
NLM_FACTORS = (0.3, 0.5, 0.7, 1.0, 1.4, 2.0)  # h = k * 255 * sigma; the best k is kept per level


def best_nlm(noisy: np.ndarray, clean: np.ndarray, sigma: float) -> float:
    import cv2

    u8 = np.clip(np.rint(noisy[..., 0] * 255.0), 0, 255).astype(np.uint8)
    scores = []
    for k in NLM_FACTORS:
        h = float(np.clip(255 * sigma * k, 1.0, 255.0))
        out = np.stack(
            [cv2.fastNlMeansDenoising(im, None, h=h, templateWindowSize=7, searchWindowSize=21) for im in u8]
        )
        scores.append(psnr(out / np.float32(255.0), clean[..., 0]))
    return max(scores)


@pytest.mark.slow
def test_blind_model_beats_median_gaussian_and_the_best_nlm_at_every_level():
    manifest = verify_manifest(EXPORT)
    assert manifest["noise"]["range"] == [0.1, 0.7]
    clean = load_mnist("builtin").validation.as_float()[::5]  # (100, 28, 28, 1): digits it never trained on
    denoiser = Denoiser(EXPORT / "model.int8.onnx")
    for i, sigma in enumerate(DEFAULT_SIGMAS):
        noisy = NoiseSpec("gaussian", sigma).apply(clean, np.random.default_rng([777, i]))
        ours = psnr(denoiser.denoise_batch(noisy), clean[..., 0])
        filters = {
            "median 3x3": psnr(median3(noisy), clean),
            "gaussian 3x3": psnr(gaussian3(noisy), clean),
            "best non-local means": best_nlm(noisy, clean, sigma),
        }
        assert all(ours > score for score in filters.values()), f"sigma {sigma}: {ours:.2f} dB vs {filters}"
