"""The `dae` command line. Training and export commands load lazily from their packages."""

from __future__ import annotations

import click

from dae_runtime import __version__
from dae_runtime.cli.compare import compare
from dae_runtime.cli.denoise import denoise
from dae_runtime.cli.lazy import LazyCommand, LazyGroup
from dae_runtime.cli.live import live
from dae_runtime.cli.verify import verify

_TRAIN = ("dae-edge-train", "pip install ./train  (from a dae-edge checkout), or: make install")
_EXPORT = ("dae-edge-export", "pip install ./export  (from a dae-edge checkout), or: make install")

LAZY_COMMANDS = {
    "train": LazyCommand("dae_train.cli:train", *_TRAIN, "Train the denoising autoencoder on noisy MNIST."),
    "evaluate": LazyCommand(
        "dae_train.cli:evaluate", *_TRAIN, "PSNR/SSIM of a Keras model and classical filters per noise level."
    ),
    "demo": LazyCommand(
        "dae_export.demo:demo", *_EXPORT, "The whole path on the builtin digits: train, export, denoise, compare."
    ),
    "export": LazyCommand(
        "dae_export.cli:export", *_EXPORT, "Convert a trained Keras model to ONNX (fp32, int8), TFLite, a Pi bundle."
    ),
}


@click.group(cls=LazyGroup, lazy_commands=LAZY_COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dae")
def main() -> None:
    """dae-edge: a noisy-MNIST denoising autoencoder from Keras to ONNX on the edge."""


for command in (denoise, live, compare, verify):
    main.add_command(command)
