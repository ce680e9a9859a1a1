"""Noise models on images scaled to [0, 1].

Every function takes a numpy Generator so that training (fresh noise each epoch),
evaluation and the live demo draw reproducible noise from one seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE_KINDS = ("gaussian", "salt-pepper", "speckle")


@dataclass(frozen=True)
class NoiseSpec:
    kind: str = "gaussian"  # one of NOISE_KINDS
    # gaussian/speckle: standard deviation; salt-pepper: fraction of pixels replaced
    level: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in NOISE_KINDS:
            raise ValueError(f"unknown noise kind {self.kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        if not 0.0 <= self.level <= (1.0 if self.kind == "salt-pepper" else 10.0):
            raise ValueError(f"noise level {self.level} is out of range for {self.kind} noise")

    def apply(self, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return add_noise(clean, self.kind, self.level, rng)


@dataclass(frozen=True)
class NoiseRange:
    """Blind noise: every image gets its own level, drawn uniformly from [low, high] at each call.

    A model trained on it serves any level in the range without being told which.
    """

    kind: str = "gaussian"
    low: float = 0.1
    high: float = 0.7

    def __post_init__(self) -> None:
        NoiseSpec(self.kind, self.low), NoiseSpec(self.kind, self.high)  # kind and bounds in range
        if not self.low < self.high:
            raise ValueError(f"noise range {self.low}:{self.high} is empty; write it low:high")

    @property
    def level(self) -> float:
        """The middle of the range, for code that needs one number."""
        return (self.low + self.high) / 2

    def apply(self, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each image at a fresh uniform level (training)."""
        return self._at(clean, rng.uniform(self.low, self.high, len(clean)), rng)

    def apply_spread(self, clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each image at a level evenly spaced over the range, in shuffled order (validation).

        Unlike `apply`, every part of the range is equally represented even in a small set,
        so a fixed validation set measures the whole range the same way in every run.
        """
        return self._at(clean, rng.permutation(np.linspace(self.low, self.high, len(clean))), rng)

    def _at(self, clean: np.ndarray, levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        clean = np.asarray(clean, dtype=np.float32)
        per_image = levels.astype(np.float32).reshape((-1,) + (1,) * (clean.ndim - 1))
        return add_noise(clean, self.kind, per_image, rng)


def gaussian(clean: np.ndarray, sigma: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """clip(clean + sigma * N(0, 1), 0, 1), as in the seed notebook.

    `sigma` may be an array that broadcasts against `clean` (one sigma per image).
    """
    noise = rng.standard_normal(clean.shape, dtype=np.float32)
    return np.clip(clean + np.asarray(sigma, np.float32) * noise, 0.0, 1.0, dtype=np.float32)


def salt_pepper(clean: np.ndarray, amount: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Replace a fraction `amount` of pixels, half with 0 and half with 1 (`amount` may be per image)."""
    u = rng.random(clean.shape, dtype=np.float32)
    out = np.array(clean, dtype=np.float32, copy=True)
    out[u < amount / 2] = 0.0
    out[(u >= amount / 2) & (u < amount)] = 1.0
    return out


def speckle(clean: np.ndarray, sigma: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multiplicative noise: clip(clean * (1 + sigma * N(0, 1)), 0, 1) (`sigma` may be per image)."""
    noise = rng.standard_normal(clean.shape, dtype=np.float32)
    return np.clip(clean * (1.0 + sigma * noise), 0.0, 1.0, dtype=np.float32)


def add_noise(clean: np.ndarray, kind: str, level: float | np.ndarray, rng: np.random.Generator) -> np.ndarray:
    clean = np.asarray(clean, dtype=np.float32)
    if kind == "gaussian":
        return gaussian(clean, level, rng)
    if kind == "salt-pepper":
        return salt_pepper(clean, level, rng)
    if kind == "speckle":
        return speckle(clean, level, rng)
    raise ValueError(f"unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}")
