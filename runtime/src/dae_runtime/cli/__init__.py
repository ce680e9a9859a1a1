"""The `dae` command line. Training and export commands come from their packages' entry points."""

from __future__ import annotations

import click

from dae_runtime import __version__
from dae_runtime.cli.compare import compare
from dae_runtime.cli.denoise import denoise
from dae_runtime.cli.lazy import OPTIONAL_COMMANDS, LazyGroup
from dae_runtime.cli.live import live
from dae_runtime.cli.verify import verify

__all__ = ["OPTIONAL_COMMANDS", "main"]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dae")
def main() -> None:
    """dae-edge: a noisy-MNIST denoising autoencoder from Keras to ONNX on the edge."""


for command in (denoise, live, compare, verify):
    main.add_command(command)
