"""Accuracy against the TensorFlow original's stored outputs, and latency, without TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.bench.timing import time_calls, warm_up
from dae_runtime.denoiser import Denoiser
from dae_runtime.metrics import psnr, quality

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
    warm_up(lambda: denoiser.denoise_batch(feed), warmup)
    samples = time_calls(lambda: denoiser.denoise_batch(feed), iters)
    p50, p90, p99 = samples.percentiles_ms(50, 90, 99)
    return Latency(batch, p50, p90, p99, float(batch / (p50 / 1e3)))


def compare_with_golden(denoiser: Denoiser, golden: dict[str, np.ndarray]) -> dict:
    out = denoiser.denoise_batch(golden["noisy"])
    return {
        "digits": len(out),
        **quality(out, golden["clean"], golden["keras"]),
        "keras_psnr_db": psnr(golden["keras"], golden["clean"]),
    }
