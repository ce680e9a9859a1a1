"""Training batches: clean digits, randomly shifted, with fresh noise every epoch.

Each epoch's randomness comes from default_rng([seed, epoch]), so a run is
reproducible from --seed and a resumed run draws exactly what the original would have.
"""

from __future__ import annotations

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
    angles = rng.uniform(-rotate, rotate, size=n)
    scales = 1.0 + rng.uniform(-scale, scale, size=n)
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


def make_dataset(
    clean: np.ndarray,
    noise: NoiseSpec | NoiseRange,
    batch_size: int,
    max_shift: int,
    seed: int,
    rotate: float = 0.0,
    scale: float = 0.0,
):
    """A keras.utils.PyDataset over `clean` float32 (N, 28, 28) images in [0, 1].

    Keras calls on_epoch_end a varying number of times, so the epoch is not counted
    there: EpochSync (a callback) tells the dataset which epoch is starting.
    """
    import keras

    class NoisyDigits(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = -1
            self.set_epoch(0)

        def set_epoch(self, epoch: int) -> None:
            if epoch != self.epoch:
                self.epoch = epoch
                self.noisy, self.clean = make_epoch(
                    clean, noise, max_shift, np.random.default_rng([seed, epoch]), rotate, scale
                )

        def __len__(self) -> int:
            return -(-len(clean) // batch_size)

        def __getitem__(self, i: int):
            batch = slice(i * batch_size, (i + 1) * batch_size)
            return self.noisy[batch], self.clean[batch]

    return NoisyDigits()


def epoch_sync(dataset):
    """A callback that draws the dataset's noise for each epoch as it begins."""
    import keras

    class EpochSync(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            dataset.set_epoch(epoch)

    return EpochSync()
