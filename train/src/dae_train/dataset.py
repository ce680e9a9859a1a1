"""Training batches: clean digits, randomly shifted, with fresh noise every epoch.

Each epoch's randomness comes from default_rng([seed, epoch]), so a run is
reproducible from --seed and a resumed run draws exactly what the original would have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dae_runtime.noise import NoiseRange, NoiseSpec


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Shift each (H, W) image by up to max_shift pixels in x and y, filling with black."""
    if max_shift <= 0:
        return images
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy = rng.integers(0, 2 * max_shift + 1, size=(n,))
    dx = rng.integers(0, 2 * max_shift + 1, size=(n,))
    rows = (dy[:, None] + np.arange(h))[:, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, :]
    return padded[np.arange(n)[:, None, None], rows, cols]


def random_warp(images: np.ndarray, rotate: float, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Rotate each (H, W) image by up to `rotate` degrees and scale it by up to 1 +- `scale` about its
    centre (bilinear, black outside): new digit shapes from the same 4,500 (0, 0: unchanged)."""
    if rotate <= 0 and scale <= 0:
        return images
    import cv2

    n, h, w = images.shape
    angles = np.asarray(rng.uniform(-rotate, rotate, size=n))
    scales = np.asarray(rng.uniform(1.0 - scale, 1.0 + scale, size=n))
    out = np.empty_like(images)
    for i in range(n):
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), float(angles[i]), float(scales[i]))
        out[i] = cv2.warpAffine(images[i], m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0.0)
    return out


def make_epoch(
    clean: np.ndarray,
    noise: NoiseSpec | NoiseRange,
    max_shift: int,
    rng: np.random.Generator,
    rotate: float = 0.0,
    scale: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of (noisy, clean) pairs in shuffled order, float32 (N, 28, 28, 1)."""
    shifted = random_shift(random_warp(clean, rotate, scale, rng), max_shift, rng)
    noisy = noise.apply(shifted, rng)
    order = rng.permutation(len(clean))
    return noisy[order, ..., None], shifted[order, ..., None]


@dataclass(frozen=True)
class EpochRecipe:
    """What one epoch of training pairs is drawn from (see make_epoch)."""

    clean: np.ndarray  # float32 (N, 28, 28) in [0, 1]
    noise: NoiseSpec | NoiseRange
    max_shift: int
    seed: int
    rotate: float = 0.0
    scale: float = 0.0

    def epoch(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        return make_epoch(
            self.clean, self.noise, self.max_shift, np.random.default_rng([self.seed, epoch]), self.rotate, self.scale
        )


def steps_per_epoch(recipe: EpochRecipe, batch_size: int) -> int:
    return -(-len(recipe.clean) // batch_size)


def make_dataset(recipe: EpochRecipe, batch_size: int, first_epoch: int, epochs: int):
    """A tf.data.Dataset of (noisy, clean) batches for epochs first_epoch .. epochs - 1, in order.

    Each epoch is drawn whole in numpy (one call into Python per epoch) and batched by tf.data.
    A keras.utils.PyDataset, which calls into Python per batch, made a training step about 2x
    slower (53.8 against 26.4 ms per batch of 16 for lowres-unet, 2026-11-26). The next epoch is
    drawn while the current one trains.
    """
    import tensorflow as tf

    def draw(epoch):
        return recipe.epoch(int(epoch))

    def one_epoch(epoch):
        noisy, clean = tf.numpy_function(draw, [epoch], [tf.float32, tf.float32], stateful=False)
        noisy.set_shape([None, None, None, 1])
        clean.set_shape([None, None, None, 1])
        return tf.data.Dataset.from_tensor_slices((noisy, clean)).batch(batch_size)

    return tf.data.Dataset.range(first_epoch, epochs).flat_map(one_epoch).prefetch(2)
