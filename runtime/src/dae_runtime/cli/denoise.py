"""`dae denoise`: images, folders, .npy/.npz arrays and videos through the ONNX denoiser."""

from __future__ import annotations

from pathlib import Path

import click

from dae_runtime.cli.options import (
    Console,
    folder_not_stdout,
    int8_option,
    load_denoiser,
    model_option,
    quiet_option,
    threads_option,
)
from dae_runtime.cli.types import FiniteFloatRange
from dae_runtime.cv_paths import printable


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out", type=click.Path(file_okay=False), required=True, callback=folder_not_stdout, help="Output folder."
)
@model_option
@int8_option
@threads_option
@click.option("--digits", is_flag=True, help="Find the digits on paper, denoise each as an MNIST crop, paste back.")
@click.option(
    "--add-noise",
    type=FiniteFloatRange(min=0, max=2),
    default=0.0,
    help="Add Gaussian noise first (images also get a <name>.noisy.png copy).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the added noise.")
@quiet_option
def denoise(inputs, out, model_path, int8, threads, digits, add_noise, seed, quiet) -> None:
    """Denoise image files (png, jpg, bmp, tiff), folders (recursive), .npy/.npz arrays and videos.

    Writes OUT/<name>.denoised.<ext> (images as PNG, videos as MP4); never over an input.
    A bad input is reported and skipped; the exit code is 1 if any input failed.
    """
    from dae_runtime.denoise_files import DenoiseOptions, collect, denoise_files

    denoiser = load_denoiser(model_path, int8, threads)
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.ClickException(printable(f"cannot create {out_dir}: {exc.strerror or exc}")) from None
    total = len(collect(list(inputs))[0])
    options = DenoiseOptions(digits=digits, add_noise=add_noise, seed=seed)
    with Console(quiet=quiet).bar(length=total, label="Denoising") as bar:
        report = denoise_files(list(inputs), out_dir, denoiser, options, progress=lambda job: bar.update(1))
    for path, reason in report.failed:
        click.echo(printable(f"failed: {path}: {reason}"), err=True)
    click.echo(printable(f"{len(report.written)} file(s) written to {out_dir}, {len(report.failed)} input(s) failed"))
    if report.failed:
        raise SystemExit(1)
