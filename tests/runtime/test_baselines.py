import numpy as np
import pytest

from dae_runtime.baselines import BASELINES, median3, non_local_means
from dae_runtime.metrics import psnr
from dae_runtime.noise import gaussian, salt_pepper


def test_median_removes_salt_and_pepper(digits):
    noisy = salt_pepper(digits, 0.05, np.random.default_rng(0))
    assert psnr(median3(noisy), digits) > psnr(noisy, digits) + 5.0


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_baseline_improves_gaussian_noise_and_keeps_shape(digits, name):
    noisy = gaussian(digits[:32, ..., None], 0.3, np.random.default_rng(1))
    out = BASELINES[name](noisy, 0.3)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert psnr(out, digits[:32]) > psnr(noisy, digits[:32]) + 0.5


def test_non_local_means_handles_a_single_frame():
    frame = np.random.default_rng(2).random((48, 64), dtype=np.float32)
    assert non_local_means(frame, 0.2).shape == (48, 64)
