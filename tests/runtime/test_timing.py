"""The one timing loop (dae_runtime.bench.timing) and the one accuracy helper (metrics.quality)."""

import numpy as np
import pytest

from dae_runtime.bench.timing import take_turns, time_calls
from dae_runtime.metrics import psnr, quality, ssim


def test_cases_take_turns_each_after_one_untimed_call():
    order = []
    cases = {name: (lambda name=name: order.append(name)) for name in ("a", "b")}
    ticks = []
    samples = take_turns(cases, rounds=2, calls_per_round=2, tick=lambda: ticks.append(1))
    assert order == ["a"] * 3 + ["b"] * 3 + ["a"] * 3 + ["b"] * 3
    assert [len(s.wall_s) for s in samples.values()] == [4, 4] and len(ticks) == 4


def test_samples_time_the_calls():
    import time

    slow = time_calls(lambda: time.sleep(0.004), 5)
    fast = time_calls(lambda: None, 5)
    assert len(slow.wall_s) == 5 and min(slow.wall_s) >= 0.004  # sleep waits at least that long
    p50, p90, p99 = slow.percentiles_ms(50, 90, 99)
    assert 4.0 <= p50 <= p90 <= p99 and slow.p50_ms == pytest.approx(p50)
    assert slow.total_s == pytest.approx(sum(slow.wall_s)) and fast.total_s < slow.total_s
    assert slow.cpu_s < slow.total_s  # sleeping costs no CPU


def test_quality_is_psnr_ssim_and_the_difference_to_keras():
    rng = np.random.default_rng(0)
    clean = rng.random((4, 28, 28), dtype=np.float32)
    pred = np.clip(clean + 0.1 * rng.standard_normal(clean.shape, dtype=np.float32), 0, 1)
    keras = pred[..., None].copy()
    keras[2, 5, 7, 0] += 0.25
    got = quality(pred, clean, keras)
    assert got == {
        "psnr_db": psnr(pred, clean),
        "ssim": ssim(pred, clean),
        "max_abs_diff_vs_keras": pytest.approx(0.25, abs=1e-6),
    }
    assert set(quality(pred, clean)) == {"psnr_db", "ssim"}
