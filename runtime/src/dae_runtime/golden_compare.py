"""Accuracy against the TensorFlow original's stored outputs, and latency, without TensorFlow."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.denoiser import Denoiser
from dae_runtime.metrics import psnr, ssim

GOLDEN_KEYS = ("noisy", "clean", "keras")


class GoldenError(Exception):
    """A golden file that cannot be used; the message is for the user as is."""


def load_golden(path: str | Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in GOLDEN_KEYS if k not in z.files]
            if missing:
                raise GoldenError(f"{path} lacks {', '.join(missing)}: not a golden.npz written by dae export")
            data = {k: z[k] for k in z.files}
    except GoldenError:
        raise
    except Exception as exc:  # noqa: BLE001 - zip/format errors vary by numpy version
        raise GoldenError(f"{path} is not a readable golden.npz ({type(exc).__name__})") from None
    shapes = {k: data[k].shape for k in GOLDEN_KEYS}
    first = shapes["noisy"]
    if (
        len(set(shapes.values())) != 1
        or len(first) not in (3, 4)
        or first[1] % 4
        or first[2] % 4
        or (len(first) == 4 and first[3] != 1)
    ):
        raise GoldenError(f"{path}: noisy, clean and keras must share one shape (N, H, W[, 1]) with H, W "
                          f"multiples of 4, got {shapes}")  # fmt: skip
    if first[0] == 0:
        raise GoldenError(f"{path} holds no digits (its arrays are empty)")
    if not all(np.issubdtype(data[k].dtype, np.floating) for k in GOLDEN_KEYS):
        raise GoldenError(f"{path}: golden arrays must be float images in [0, 1]")
    if not all(np.isfinite(data[k]).all() for k in GOLDEN_KEYS):
        raise GoldenError(f"{path}: golden arrays hold NaN or infinite values")
    return data


@dataclass
class Latency:
    batch: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    throughput_ips: float


def measure_latency(denoiser: Denoiser, x: np.ndarray, batch: int, warmup: int, iters: int) -> Latency:
    reps = -(-batch // len(x))
    feed = np.ascontiguousarray(np.concatenate([x] * reps)[:batch], np.float32)
    for _ in range(warmup):
        denoiser.denoise_batch(feed)
    times = np.empty(iters)
    for i in range(iters):
        t0 = time.perf_counter()
        denoiser.denoise_batch(feed)
        times[i] = time.perf_counter() - t0
    p50, p90, p99 = np.percentile(times * 1e3, [50, 90, 99])
    return Latency(batch, float(p50), float(p90), float(p99), float(batch / np.median(times)))


def compare_with_golden(denoiser: Denoiser, golden: dict[str, np.ndarray]) -> dict:
    out = denoiser.denoise_batch(golden["noisy"])
    keras = golden["keras"][..., 0] if golden["keras"].ndim == 4 else golden["keras"]
    return {
        "digits": len(out),
        "psnr_db": psnr(out, golden["clean"]),
        "ssim": ssim(out, golden["clean"]),
        "keras_psnr_db": psnr(keras, golden["clean"]),
        "max_abs_diff_vs_keras": float(np.abs(out - keras).max()),
    }
