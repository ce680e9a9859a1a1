"""The shipped model's quality goal, on real MNIST digits it never trained on."""

import numpy as np
import onnxruntime as ort
import pytest

import dae_runtime
from dae_runtime.metrics import psnr
from dae_runtime.noise import NoiseSpec
from dae_train.data import load_mnist


@pytest.fixture(scope="module")
def held_out():
    # The 500 builtin validation digits: never trained on (they chose the best epoch only).
    clean = load_mnist("builtin").validation.as_float()
    return NoiseSpec("gaussian", 0.5).apply(clean, np.random.default_rng(12345)), clean


def denoised_psnr(precision, noisy, clean, model="seed"):
    path = dae_runtime.shipped.shipped_model_path(model, precision)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return psnr(session.run(None, {"input": noisy})[0], clean)


def test_shipped_model_reaches_the_quality_goal_and_int8_keeps_it(held_out):
    fp32, int8 = denoised_psnr("fp32", *held_out), denoised_psnr("int8", *held_out)
    assert fp32 >= 20.0
    assert fp32 - int8 <= 0.3


def test_the_zoo_quality_model_is_clearly_cleaner_than_the_seed(held_out):
    # measured 2026-11-26: lowres-unet int8 20.88 dB, fp32 20.92; the seed's int8 20.15
    seed, lowres = denoised_psnr("int8", *held_out), denoised_psnr("int8", *held_out, model="lowres-unet")
    assert lowres >= 20.8 and lowres - seed >= 0.6


def test_the_deeper_zoo_model_is_cleaner_again(held_out):
    # measured 2026-11-27 (trained with --batchnorm): lowres-unet2 int8 21.13 dB, fp32 21.14; lowres-unet's int8 20.88
    lowres, lowres2 = (denoised_psnr("int8", *held_out, model=m) for m in ("lowres-unet", "lowres-unet2"))
    assert lowres2 >= 21.05 and lowres2 - lowres >= 0.2


def test_the_zoo_reaches_21_db_int8_on_the_mean_of_ten_noise_draws():
    # Issue 14's goal, judged on ten draws (one draw moves a figure by up to 0.17 dB).
    # measured 2026-11-27: lowres-unet2 int8 mean 21.050 (min 20.943); before --batchnorm 20.942
    clean = load_mnist("builtin").validation.as_float()
    draws = [NoiseSpec("gaussian", 0.5).apply(clean, np.random.default_rng(12345 + i)) for i in range(10)]
    assert np.mean([denoised_psnr("int8", x, clean, model="lowres-unet2") for x in draws]) >= 21.0
