"""Train the denoiser: data, model, schedule, checkpoints, report and figures in one call.

Outputs in the run folder:
  model.keras            the best model by validation PSNR (written atomically)
  train_report.json      params, history, val_psnr_db, val_ssim, config, versions
  clean_vs_noisy.png     the seed's first figure
  noisy_vs_denoised.png  the seed's second figure
  checkpoints/epoch-N/   last model and its state (one unit, dae_train.checkpoint), for --resume
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_runtime.atomic import atomic_path, write_json
from dae_runtime.metrics import psnr, ssim
from dae_runtime.noise import NoiseRange, NoiseSpec
from dae_runtime.versions import package_versions
from dae_train import checkpoint
from dae_train.config import TrainConfig
from dae_train.data import SPLIT_SEED, load_mnist
from dae_train.run_state import TrainError, fresh_state, read_saved_state

MODEL_FILE = "model.keras"
REPORT_FILE = "train_report.json"
CHECKPOINTS = "checkpoints"
STATE_FILE = "checkpoints/epoch-N/state.json"  # the newest complete checkpoint (dae_train.checkpoint)


@dataclass
class RunPaths:
    out: Path

    @property
    def model(self) -> Path:
        return self.out / MODEL_FILE

    @property
    def report(self) -> Path:
        return self.out / REPORT_FILE

    @property
    def checkpoints(self) -> Path:
        return self.out / CHECKPOINTS

    @property
    def last(self) -> Path:
        return checkpoint.latest(self.checkpoints) / checkpoint.MODEL_NAME

    @property
    def state(self) -> Path:
        return checkpoint.latest(self.checkpoints) / checkpoint.STATE_NAME


def validation_pairs(clean_u8: np.ndarray, noise: NoiseSpec | NoiseRange) -> tuple[np.ndarray, np.ndarray]:
    """The fixed noisy validation set: same noise for every run and every seed.

    For blind noise (a range) every digit gets a fixed level, evenly spread over the range,
    so the best epoch is chosen for the whole range, not for one level of it.
    """
    clean = clean_u8.astype(np.float32)[..., None] / 255.0
    rng = np.random.default_rng(SPLIT_SEED)
    noisy = noise.apply_spread(clean, rng) if isinstance(noise, NoiseRange) else noise.apply(clean, rng)
    return noisy, clean


def _compile(model, cfg: TrainConfig, steps_per_epoch: int) -> None:
    import keras

    if cfg.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(cfg.lr, decay_steps=cfg.epochs * steps_per_epoch)
    else:
        lr = cfg.lr
    loss = {"bce": "binary_crossentropy", "mse": "mean_squared_error"}[cfg.loss]
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, jit_compile=cfg.xla)


def _start_state(
    paths: RunPaths, cfg: TrainConfig, resume: bool, overwrite: bool, given: Collection[str] = ()
) -> dict | None:
    """The saved state to resume from, or None for a fresh run; refuses to clobber a finished run."""
    if resume:
        if not paths.state.exists() or not paths.last.exists():
            raise TrainError(f"nothing to resume in {paths.out}: no {STATE_FILE} (start without --resume)")
        return read_saved_state(paths.state, paths.out, cfg, given)
    if paths.model.exists() and not overwrite:
        raise TrainError(
            f"{paths.model} already exists; choose another --out, continue it with --resume, or pass --overwrite"
        )
    return None


def _run_settings(
    paths: RunPaths, cfg: TrainConfig, resume: bool, overwrite: bool, given: Collection[str]
) -> tuple[TrainConfig, dict | None]:
    """The run's settings, checked, and its saved state (None for a fresh run)."""
    state = _start_state(paths, cfg, resume, overwrite, given)
    if state is not None:
        cfg = TrainConfig.from_saved(state["config"])  # a resumed run keeps its own settings
    try:
        cfg.validate()
    except ValueError as exc:
        raise TrainError(str(exc)) from exc
    return cfg, state


def _announcement(cfg: TrainConfig, params: int, splits, out: Path) -> str:
    return (
        f"Training {cfg.arch} ({params:,} params) on {splits.source}: "
        f"{len(splits.train):,} train / {len(splits.validation):,} validation digits, "
        f"{cfg.noise_kind} noise {cfg.noise_label}, up to {cfg.epochs} epochs -> {out}"
    )


def train(
    cfg: TrainConfig,
    out: str | Path,
    resume: bool = False,
    overwrite: bool = False,
    verbose: int = 1,
    given: Collection[str] = (),
) -> dict:
    """Run training and return the report (also written to out/train_report.json). A resumed run keeps
    its saved settings and refuses those in `given` (the ones the user typed) that differ from them."""
    paths = RunPaths(Path(out))
    cfg, state = _run_settings(paths, cfg, resume, overwrite, given)

    splits = load_mnist(cfg.data, cfg.validation_fraction)  # before TensorFlow: bad data fails fast
    noise = cfg.noise_model()
    val_noisy, val_clean = validation_pairs(splits.validation.images, noise)
    train_clean = splits.train.images.astype(np.float32) / 255.0

    import keras

    from dae_train.architectures import build_model
    from dae_train.callbacks import BestKeeper, TrainingDiverged, ValidationPSNR
    from dae_train.dataset import EpochRecipe, make_dataset, steps_per_epoch

    keras.utils.set_random_seed(cfg.seed)
    if state is None:
        paths.out.mkdir(parents=True, exist_ok=True)
        checkpoint.clear(paths.checkpoints)  # a fresh run (--overwrite) must not resume an older one's epochs
        model = build_model(cfg.arch, batchnorm=cfg.batchnorm)
        state = fresh_state(cfg)
    else:
        model = keras.models.load_model(paths.last)
        if verbose:
            print(f"Resuming {paths.out} at epoch {state['epoch'] + 1}/{cfg.epochs} with the run's saved settings.")
    recipe = EpochRecipe(train_clean, noise, cfg.max_shift, cfg.seed, cfg.rotate, cfg.scale)
    steps = steps_per_epoch(recipe, cfg.batch_size)
    if state["epoch"] == 0:
        _compile(model, cfg, steps)
    model.jit_compile = cfg.xla  # the run's setting rules, also over the compile settings saved in the model

    if verbose:
        print(_announcement(cfg, model.count_params(), splits, paths.out))
    keeper = BestKeeper(paths.model, paths.checkpoints, cfg.patience, state)
    started = time.perf_counter()
    elapsed_before = state["elapsed_s"]
    interrupted = False
    try:
        model.fit(
            make_dataset(recipe, cfg.batch_size, state["epoch"], cfg.epochs),
            epochs=cfg.epochs,
            initial_epoch=state["epoch"],
            steps_per_epoch=steps,
            shuffle=False,  # make_epoch already shuffles, reproducibly from (seed, epoch)
            verbose=verbose if sys.stdout.isatty() or verbose != 1 else 2,
            callbacks=[ValidationPSNR(val_noisy, val_clean), keeper],
        )
    except TrainingDiverged as exc:
        raise TrainError(str(exc)) from None
    except KeyboardInterrupt:
        if state["best_epoch"] == 0:  # no checkpoint and no best model of this run: say so, and only that
            raise TrainError("interrupted during the first epoch: nothing of this run was saved") from None
        interrupted = True
        print(f"\nInterrupted after epoch {state['epoch']}; the best model so far is kept. Resume with --resume.")
    state["elapsed_s"] = elapsed_before + time.perf_counter() - started
    if state["best_epoch"] == 0:  # only if no epoch's validation PSNR was a number
        raise TrainError("no epoch gave a model (the validation PSNR was never a number); nothing was saved")
    state["finished"] = not interrupted
    _fold_batchnorm_of_best_model(paths.model, cfg)
    write_json(paths.state, state)
    return write_report(paths, cfg, splits.source, len(splits.train), state, val_noisy, val_clean, interrupted)


def _fold_batchnorm_of_best_model(path: Path, cfg: TrainConfig) -> None:
    """A --batchnorm run's best model becomes its folded plain model (atomically): export never sees BN."""
    if not cfg.batchnorm:
        return
    import keras

    from dae_train.batchnorm_fold import fold_batchnorm, has_batchnorm

    model = keras.models.load_model(path)
    if has_batchnorm(model):  # a resumed run may have kept the already folded best model
        with atomic_path(path) as tmp:
            fold_batchnorm(model, cfg.arch).save(tmp)


def write_report(
    paths: RunPaths,
    cfg: TrainConfig,
    source: str,
    n_train: int,
    state: dict,
    val_noisy: np.ndarray,
    val_clean: np.ndarray,
    interrupted: bool,
) -> dict:
    import keras

    from dae_train.figures import save_seed_figures

    best = keras.models.load_model(paths.model)
    denoised = best.predict(val_noisy, batch_size=512, verbose=0)
    report = {
        "params": int(best.count_params()),
        "val_psnr_db": psnr(denoised, val_clean),
        "val_ssim": ssim(denoised, val_clean),
        "noisy_psnr_db": psnr(val_noisy, val_clean),
        "noisy_ssim": ssim(val_noisy, val_clean),
        "best_epoch": state["best_epoch"],
        "epochs_run": state["epoch"],
        "interrupted": interrupted,
        "train_seconds": round(state["elapsed_s"], 1),
        "data": {"source": source, "train_digits": n_train, "validation_digits": len(val_clean)},
        "config": cfg.to_dict(),
        "versions": package_versions("tensorflow", "keras", "numpy", "dae-edge-train"),
        "history": state["history"],
    }
    write_json(paths.report, report)
    figures = save_seed_figures(paths.out, val_clean, val_noisy, denoised)
    print(
        f"Best epoch {report['best_epoch']}: validation PSNR {report['val_psnr_db']:.2f} dB "
        f"(noisy {report['noisy_psnr_db']:.2f} dB), SSIM {report['val_ssim']:.3f}\n"
        f"Wrote {paths.model}, {paths.report}, " + ", ".join(str(f) for f in figures)
    )
    return report
