"""The live view's added noise from one block of Gaussian numbers drawn up front.

A frame of 10 digits needs 7,840 fresh normal numbers; drawing them costs 0.54 M instructions a frame
on a Raspberry Pi 4's Cortex-A72, about 70 each (numpy's generator, counted 2026-12-06). The live view
only has to look like fresh noise every frame, so it takes each frame's noise as a window of a block
drawn once (2^18 numbers, 1 MB) at a random offset: a different pattern every frame, for a slice.
(Training and evaluation keep drawing fresh noise: dae_runtime.noise.)
"""

from __future__ import annotations

import numpy as np

from dae_runtime.noise import gaussian

BLOCK = 1 << 18


class NoiseBank:
    def __init__(self, rng: np.random.Generator, size: int = BLOCK):
        self.rng = rng
        self.block = rng.standard_normal(size, dtype=np.float32)

    def gaussian(self, clean: np.ndarray, sigma: float) -> np.ndarray:
        """clip(clean + sigma * N(0, 1), 0, 1) as float32, like dae_runtime.noise.gaussian."""
        n = clean.size
        if n > self.block.size // 4:  # too few distinct windows: fresh numbers instead
            return gaussian(clean, sigma, self.rng)
        start = int(self.rng.integers(self.block.size - n + 1))
        noise = self.block[start : start + n].reshape(clean.shape)
        return np.clip(clean + np.float32(sigma) * noise, 0.0, 1.0, dtype=np.float32)
