import numpy as np
import pytest

from dae_runtime.noise import NOISE_KINDS, NoiseSpec, add_noise, gaussian, salt_pepper, speckle


def test_gaussian_matches_the_seed_formula():
    clean = np.full((200, 28, 28), 0.5, np.float32)
    noisy = gaussian(clean, 0.1, np.random.default_rng(0))
    expected = np.clip(clean + 0.1 * np.random.default_rng(0).standard_normal(clean.shape, dtype=np.float32), 0, 1)
    np.testing.assert_array_equal(noisy, expected)
    assert noisy.dtype == np.float32
    # 0.5 +- 5 sigma never clips, so the moments are those of N(0.5, 0.1)
    assert abs(noisy.mean() - 0.5) < 1e-3
    assert abs(noisy.std() - 0.1) < 1e-3


def test_gaussian_is_clipped_to_unit_range():
    clean = np.zeros((100, 28, 28), np.float32)
    noisy = gaussian(clean, 0.5, np.random.default_rng(1))
    assert noisy.min() == 0.0 and noisy.max() <= 1.0
    # half of the draws are negative and clip to exactly zero
    assert abs((noisy == 0).mean() - 0.5) < 0.01


def test_gaussian_accepts_one_sigma_per_image():
    clean = np.full((2, 64, 64), 0.5, np.float32)
    noisy = gaussian(clean, np.array([0.01, 0.1], np.float32)[:, None, None], np.random.default_rng(2))
    assert noisy[0].std() == pytest.approx(0.01, rel=0.05)
    assert noisy[1].std() == pytest.approx(0.1, rel=0.05)


def test_salt_and_pepper_replaces_the_requested_fraction():
    clean = np.full((100, 28, 28), 0.5, np.float32)
    noisy = salt_pepper(clean, 0.2, np.random.default_rng(3))
    changed = noisy != 0.5
    assert abs(changed.mean() - 0.2) < 0.005
    assert abs((noisy == 0).mean() - 0.1) < 0.005
    assert abs((noisy == 1).mean() - 0.1) < 0.005
    assert clean.min() == 0.5  # input untouched


def test_speckle_is_multiplicative():
    clean = np.zeros((10, 28, 28), np.float32)
    clean[:, 10:18, 10:18] = 0.5
    noisy = speckle(clean, 0.2, np.random.default_rng(4))
    assert np.all(noisy[clean == 0] == 0)  # black stays black
    assert abs(noisy[clean == 0.5].std() - 0.1) < 0.01


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_is_reproducible_from_the_seed(kind):
    clean = np.random.default_rng(5).random((8, 28, 28), dtype=np.float32)
    a = add_noise(clean, kind, 0.3, np.random.default_rng(42))
    b = add_noise(clean, kind, 0.3, np.random.default_rng(42))
    c = add_noise(clean, kind, 0.3, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() >= 0 and a.max() <= 1


@pytest.mark.parametrize("kind,level", [("pink", 0.5), ("gaussian", -0.1), ("salt-pepper", 1.5)])
def test_noise_spec_rejects_bad_settings(kind, level):
    with pytest.raises(ValueError):
        NoiseSpec(kind, level)


def test_noise_range_gives_each_image_its_own_level_in_range():
    from dae_runtime.noise import NoiseRange

    clean = np.full((400, 32, 32), 0.5, np.float32)  # 0.5 +- 3 * 0.15 never clips
    blind = NoiseRange("gaussian", 0.05, 0.15)
    stds = (blind.apply(clean, np.random.default_rng(0)) - 0.5).std(axis=(1, 2))
    assert 0.045 < stds.min() < 0.06 and 0.14 < stds.max() < 0.16  # the whole range, nothing far outside it
    np.testing.assert_array_equal(
        blind.apply(clean, np.random.default_rng(0)), blind.apply(clean, np.random.default_rng(0))
    )
    assert not np.array_equal(
        blind.apply(clean, np.random.default_rng(0)), blind.apply(clean, np.random.default_rng(1))
    )
    assert blind.level == pytest.approx(0.1)


def test_noise_range_spread_covers_the_range_evenly():
    from dae_runtime.noise import NoiseRange

    clean = np.full((101, 32, 32), 0.5, np.float32)
    stds = (NoiseRange("gaussian", 0.0, 0.1).apply_spread(clean, np.random.default_rng(0)) - 0.5).std(axis=(1, 2))
    np.testing.assert_allclose(np.sort(stds), np.linspace(0.0, 0.1, 101), atol=0.006)


@pytest.mark.parametrize("kind", ["salt-pepper", "speckle"])
def test_other_noise_kinds_accept_a_level_per_image(kind):
    from dae_runtime.noise import NoiseRange

    clean = np.full((200, 32, 32), 0.5, np.float32)
    noisy = NoiseRange(kind, 0.01, 0.5).apply(clean, np.random.default_rng(0))
    spread = (noisy - 0.5).std(axis=(1, 2))  # grows with the level for both kinds
    assert spread.max() > 5 * spread.min()


@pytest.mark.parametrize("low, high", [(0.5, 0.5), (0.7, 0.1), (-0.1, 0.3), (0.1, 20.0)])
def test_noise_range_refuses_empty_or_out_of_range_bounds(low, high):
    from dae_runtime.noise import NoiseRange

    with pytest.raises(ValueError):
        NoiseRange("gaussian", low, high)
