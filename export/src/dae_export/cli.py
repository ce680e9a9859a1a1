"""`dae export`. The converter itself is not written yet; the command says so plainly."""

from __future__ import annotations

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def export(args: tuple[str, ...]) -> None:
    """Convert a trained Keras model to ONNX (not available in this version yet)."""
    raise click.ClickException("'dae export' is not implemented in this version of dae-edge-export yet")
