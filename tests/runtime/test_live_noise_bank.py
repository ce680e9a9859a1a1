"""The live view's added noise (dae_runtime.live.noise_bank): windows of one block of Gaussian numbers, measured
against dae_runtime.noise.gaussian (fresh numbers, what training uses), and what the live pipeline adds."""

from __future__ import annotations

import numpy as np

from dae_runtime.live import noise_bank
from dae_runtime.live.noise_bank import NoiseBank
from dae_runtime.noise import gaussian


def _draws(add, frames: int = 300) -> np.ndarray:
    """The standardised noise of `frames` frames of 10 digits at 0.5 with sigma 0.1 (never clipped: 5 sigma)."""
    clean = np.full((10, 28, 28), 0.5, np.float32)
    return np.stack([(add(clean, 0.1) - 0.5) / 0.1 for _ in range(frames)])


def test_the_windows_are_distributed_as_fresh_gaussian_noise():
    bank = NoiseBank(np.random.default_rng(0))
    windows = _draws(bank.gaussian)
    fresh = _draws(lambda x, s, rng=np.random.default_rng(1): gaussian(x, s, rng))
    for z in (windows, fresh):
        assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
        quantiles = np.quantile(z, [0.001, 0.023, 0.159, 0.5, 0.841, 0.977, 0.999])
        assert np.allclose(quantiles, [-3.09, -2.0, -1.0, 0.0, 1.0, 2.0, 3.09], atol=0.05)
    # Frame to frame, the windows are other numbers (as fresh noise would be), not the same pattern again.
    changes = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(windows[:-1], windows[1:], strict=True)]
    assert max(abs(c) for c in changes) < 0.2
    assert len({float(w[0, 0, 0]) for w in windows}) > 290


def test_the_noise_is_clipped_to_the_unit_range_and_keeps_the_shape():
    bank = NoiseBank(np.random.default_rng(2))
    clean = np.random.default_rng(3).random((3, 28, 28), dtype=np.float32)
    noisy = bank.gaussian(clean, 0.8)
    assert noisy.shape == clean.shape and noisy.dtype == np.float32
    assert noisy.min() == 0.0 and noisy.max() == 1.0 and not np.array_equal(noisy, clean)


def test_more_than_a_quarter_of_the_block_is_drawn_fresh(monkeypatch):
    calls = []
    monkeypatch.setattr(noise_bank, "gaussian", lambda x, s, rng: calls.append(x.size) or x)
    bank = NoiseBank(np.random.default_rng(4), size=4096)
    bank.gaussian(np.zeros((1, 32, 32), np.float32), 0.3)  # 1,024: a window
    bank.gaussian(np.zeros((2, 32, 32), np.float32), 0.3)  # 2,048: fresh numbers
    assert calls == [2048]


def test_the_live_pipeline_adds_the_banks_noise_at_its_level():
    from dae_runtime.denoiser import Denoiser
    from dae_runtime.live.pipeline import LiveConfig, LivePipeline

    pipeline = LivePipeline(Denoiser(), LiveConfig(add_noise=0.1))
    clean = np.full((10, 28, 28), 0.5, np.float32)
    first, second = pipeline._noisy(clean), pipeline._noisy(clean)
    assert isinstance(pipeline.noise, NoiseBank)
    assert abs((first - 0.5).std() - 0.1) < 0.005 and not np.array_equal(first, second)
    pipeline.config.add_noise = 0.0
    assert pipeline._noisy(clean) is clean
