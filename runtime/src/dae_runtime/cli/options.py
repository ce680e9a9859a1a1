"""Options and helpers the `dae` commands share. Command modules import shared things only from here
and from cli.types, never from each other."""

from __future__ import annotations

import click

model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="ONNX model (default: the pretrained model shipped with dae-edge-runtime).",
)


def precision_option(int8_default: bool):
    """--int8/--fp32: which shipped model to use when --model is not given."""
    return click.option(
        "--int8/--fp32",
        default=int8_default,
        show_default=True,
        help="Use the shipped int8 or fp32 model (ignored with --model).",
    )


int8_option = precision_option(False)
threads_option = click.option("--threads", type=click.IntRange(min=1), default=None, help="onnxruntime threads.")


def load_denoiser(model_path: str | None, int8: bool, threads: int | None):
    from dae_runtime.denoiser import Denoiser, DenoiserError

    try:
        return Denoiser(model_path, threads=threads, precision="int8" if int8 else "fp32")
    except (DenoiserError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
