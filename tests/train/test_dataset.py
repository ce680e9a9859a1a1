import numpy as np

from dae_runtime.noise import NoiseSpec
from dae_train.dataset import EpochRecipe, make_dataset, make_epoch, random_shift, random_warp, steps_per_epoch


def test_random_shift_moves_digits_without_losing_ink(builtin):
    # MNIST digits sit in the central 20x20 box, so a 2-pixel shift never cuts a stroke.
    clean = builtin.images[:200].astype(np.float32)
    shifted = random_shift(clean, 2, np.random.default_rng(0))
    np.testing.assert_allclose(shifted.sum(axis=(1, 2)), clean.sum(axis=(1, 2)))
    assert (shifted != clean).any(axis=(1, 2)).mean() > 0.8  # 24 of 25 offsets move the digit


def test_no_shift_is_identity(builtin):
    clean = builtin.images[:5]
    assert random_shift(clean, 0, np.random.default_rng(0)) is clean


def test_random_warp_rotates_and_scales_like_opencv_and_keeps_the_digit(builtin):
    import cv2

    clean = builtin.images[:200].astype(np.float32) / 255.0
    assert random_warp(clean, 0, 0, np.random.default_rng(0)) is clean
    warped = random_warp(clean, 12, 0.1, np.random.default_rng(1))
    assert warped.shape == clean.shape and warped.dtype == np.float32
    # the same draw, by hand: angle then scale per digit, about the image centre
    rng = np.random.default_rng(1)
    angles, scales = rng.uniform(-12, 12, 200), 1 + rng.uniform(-0.1, 0.1, 200)
    m = cv2.getRotationMatrix2D((13.5, 13.5), float(angles[5]), float(scales[5]))
    np.testing.assert_allclose(warped[5], cv2.warpAffine(clean[5], m, (28, 28)), atol=1e-6)
    ink = warped.sum(axis=(1, 2)) / clean.sum(axis=(1, 2))  # ink scales with area: (1 +- 0.1)^2, a little blur
    assert ((ink > 0.75) & (ink < 1.3)).all()
    assert np.abs(warped - clean).mean(axis=(1, 2)).min() > 0.0  # every digit changed


def test_epochs_with_warps_are_reproducible(builtin):
    clean = builtin.images[:32].astype(np.float32) / 255.0
    noise = NoiseSpec("gaussian", 0.5)
    a = make_epoch(clean, noise, 2, np.random.default_rng([7, 0]), rotate=10, scale=0.1)
    b = make_epoch(clean, noise, 2, np.random.default_rng([7, 0]), rotate=10, scale=0.1)
    plain = make_epoch(clean, noise, 2, np.random.default_rng([7, 0]))
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], plain[1])


def test_epochs_are_reproducible_and_fresh(builtin):
    clean = builtin.images[:64].astype(np.float32) / 255.0
    noise = NoiseSpec("gaussian", 0.5)
    a_noisy, a_clean = make_epoch(clean, noise, 2, np.random.default_rng([7, 0]))
    b_noisy, b_clean = make_epoch(clean, noise, 2, np.random.default_rng([7, 0]))
    np.testing.assert_array_equal(a_noisy, b_noisy)
    np.testing.assert_array_equal(a_clean, b_clean)
    assert a_noisy.shape == (64, 28, 28, 1) and a_noisy.dtype == np.float32
    residual = a_noisy - a_clean  # clipped gaussian: mean-shifted but clearly noisy
    assert 0.25 < residual.std() < 0.5


def test_dataset_draws_new_noise_every_epoch_and_resumes_in_step(builtin):
    clean = builtin.images[:40].astype(np.float32) / 255.0
    recipe = EpochRecipe(clean, NoiseSpec("gaussian", 0.5), max_shift=2, seed=3)
    assert steps_per_epoch(recipe, 16) == 3
    batches = [(x.numpy(), y.numpy()) for x, y in make_dataset(recipe, 16, 0, 2)]
    assert [len(x) for x, _ in batches] == [16, 16, 8] * 2  # two epochs, each one whole draw
    for epoch in (0, 1):
        noisy, clean_shifted = recipe.epoch(epoch)
        np.testing.assert_array_equal(np.concatenate([x for x, _ in batches[3 * epoch : 3 * epoch + 3]]), noisy)
        np.testing.assert_array_equal(np.concatenate([y for _, y in batches[3 * epoch : 3 * epoch + 3]]), clean_shifted)
    assert not np.array_equal(batches[0][0], batches[3][0])  # fresh noise each epoch
    resumed = next(iter(make_dataset(recipe, 16, 1, 2)))  # a run resumed at epoch 1 draws epoch 1
    np.testing.assert_array_equal(resumed[0].numpy(), batches[3][0])


def test_blind_noise_epochs_draw_a_level_per_digit_and_validation_spreads_it(builtin):
    from dae_runtime.noise import NoiseRange
    from dae_train.config import TrainConfig
    from dae_train.trainer import validation_pairs

    cfg = TrainConfig(noise=0.1, noise_max=0.7)
    blind = cfg.noise_model()
    assert isinstance(blind, NoiseRange) and (blind.low, blind.high) == (0.1, 0.7)
    clean = np.full((300, 28, 28), 0.5, np.float32)
    noisy, _ = make_epoch(clean, blind, 0, np.random.default_rng([7, 0]))
    stds = (noisy - 0.5).std(axis=(1, 2, 3))  # clipping to [0, 1] shrinks the largest levels
    assert stds.min() < 0.15 and stds.max() > 0.35
    again, _ = make_epoch(clean, blind, 0, np.random.default_rng([7, 0]))
    np.testing.assert_array_equal(noisy, again)

    val_noisy, val_clean = validation_pairs(builtin.images[:200], blind)
    np.testing.assert_array_equal(val_noisy, validation_pairs(builtin.images[:200], blind)[0])
    residual = (val_noisy - val_clean).std(axis=(1, 2, 3))
    assert residual.min() < 0.15 and residual.max() > 0.4
