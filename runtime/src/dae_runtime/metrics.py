"""Image quality metrics on batches of images in [0, 1], in plain numpy.

PSNR and SSIM are computed per image and then averaged, the way the project reports them.
SSIM follows Wang et al. (2004) as scikit-image implements it with
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0;
tests/runtime/test_metrics.py checks it against scikit-image.
"""

from __future__ import annotations

import numpy as np

_SSIM_SIGMA = 1.5
_SSIM_RADIUS = 5  # scikit-image: int(truncate * sigma + 0.5) with truncate=3.5 -> 11x11 window
_K1, _K2 = 0.01, 0.03


def _as_batch(images: np.ndarray) -> np.ndarray:
    """(H, W), (N, H, W) or (N, H, W, 1) -> float64 (N, H, W)."""
    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3:
        raise ValueError(f"expected grayscale images (N, H, W[, 1]), got shape {np.shape(images)}")
    return a


def psnr_per_image(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    p, t = _as_batch(pred), _as_batch(target)
    mse = np.mean((p - t) ** 2, axis=(1, 2))
    # A perfect image would be infinite dB; cap at 100 dB so means stay finite.
    return 10.0 * np.log10(data_range**2 / np.maximum(mse, data_range**2 * 1e-10))


def psnr(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> float:
    """Mean over images of the per-image PSNR in dB."""
    return float(np.mean(psnr_per_image(pred, target, data_range)))


def _gaussian_kernel() -> np.ndarray:
    x = np.arange(-_SSIM_RADIUS, _SSIM_RADIUS + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / _SSIM_SIGMA) ** 2)
    return k / k.sum()


def _blur(a: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter over the last two axes, border mode 'reflect' as scipy.ndimage."""
    r = len(kernel) // 2
    for axis in (1, 2):
        pad = [(0, 0)] * a.ndim
        pad[axis] = (r, r)
        p = np.pad(a, pad, mode="symmetric")  # numpy 'symmetric' == scipy.ndimage 'reflect'
        n = a.shape[axis]
        a = sum(w * np.take(p, np.arange(i, i + n), axis=axis) for i, w in enumerate(kernel))
    return a


def ssim_per_image(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    x, y = _as_batch(pred), _as_batch(target)
    if x.shape[1] < 2 * _SSIM_RADIUS + 1 or x.shape[2] < 2 * _SSIM_RADIUS + 1:
        raise ValueError("SSIM needs images of at least 11x11 pixels")
    k = _gaussian_kernel()
    mx, my = _blur(x, k), _blur(y, k)
    vx = _blur(x * x, k) - mx * mx
    vy = _blur(y * y, k) - my * my
    cxy = _blur(x * y, k) - mx * my
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    r = _SSIM_RADIUS  # scikit-image averages only where the window fits inside the image
    return s[:, r:-r, r:-r].mean(axis=(1, 2))


def ssim(pred: np.ndarray, target: np.ndarray, data_range: float = 1.0) -> float:
    """Mean over images of the per-image SSIM."""
    return float(np.mean(ssim_per_image(pred, target, data_range)))


def quality(pred: np.ndarray, clean: np.ndarray, keras: np.ndarray | None = None) -> dict[str, float]:
    """How good a denoiser's outputs are, the way every dae-edge report states it: PSNR and SSIM
    against the clean images, and with the TensorFlow original's outputs, the max abs difference to them."""
    result = {"psnr_db": psnr(pred, clean), "ssim": ssim(pred, clean)}
    if keras is not None:
        result["max_abs_diff_vs_keras"] = float(np.abs(_as_batch(pred) - _as_batch(keras)).max())
    return result
