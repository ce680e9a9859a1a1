import numpy as np
import pytest
from skimage.metrics import structural_similarity

from dae_runtime.metrics import psnr, psnr_per_image, ssim, ssim_per_image
from dae_runtime.noise import gaussian


def test_psnr_of_a_known_error():
    target = np.zeros((2, 28, 28), np.float32)
    pred = target + 0.1  # mse 0.01 -> 20 dB
    np.testing.assert_allclose(psnr_per_image(pred, target), [20.0, 20.0], atol=1e-5)


def test_psnr_is_the_mean_of_per_image_values():
    target = np.zeros((2, 28, 28), np.float32)
    pred = np.stack([target[0] + 0.1, target[1] + 0.01])  # 20 dB and 40 dB
    assert psnr(pred, target) == pytest.approx(30.0, abs=1e-4)


def test_psnr_stays_finite_for_identical_images():
    x = np.ones((1, 28, 28))
    assert np.isfinite(psnr(x, x))


def _reference_ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)


@pytest.mark.parametrize("sigma", [0.05, 0.3, 0.7])
def test_ssim_matches_scikit_image(digits, sigma):
    clean = digits[:16].astype(np.float64)
    noisy = gaussian(clean, sigma, np.random.default_rng(0)).astype(np.float64)
    expected = [_reference_ssim(n, c) for n, c in zip(noisy, clean, strict=True)]
    np.testing.assert_allclose(ssim_per_image(noisy, clean), expected, atol=1e-6)


def test_ssim_matches_scikit_image_on_non_square_frames():
    rng = np.random.default_rng(1)
    a, b = rng.random((40, 57)), rng.random((40, 57))
    assert ssim(a, b) == pytest.approx(_reference_ssim(a, b), abs=1e-6)


def test_ssim_accepts_channel_axis_and_is_one_for_identical(digits):
    x = digits[:4, ..., None]
    np.testing.assert_allclose(ssim_per_image(x, x), 1.0, atol=1e-9)


def test_ssim_rejects_tiny_images():
    with pytest.raises(ValueError):
        ssim(np.zeros((1, 8, 8)), np.zeros((1, 8, 8)))
