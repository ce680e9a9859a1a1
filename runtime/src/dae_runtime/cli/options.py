"""Options and helpers the `dae` commands share. Command modules import shared things only from here
and from cli.types, never from each other."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import click

model_option = click.option(
    "--model",
    "model_path",
    metavar="FILE|NAME",
    default=None,
    help="ONNX model file, or the name of a model shipped with dae-edge-runtime "
    "(seed, the default; lowres-unet, 0.7 dB cleaner at sigma 0.5 for 1.4-1.8x the time; "
    "lowres-unet2, 0.85 dB cleaner for 1.8-2x the time; seed-skip-blind, for unknown noise levels).",
)


def precision_option(int8_default: bool):
    """--int8/--fp32: which precision of a shipped model to use (not for --model FILE)."""
    return click.option(
        "--int8/--fp32",
        default=int8_default,
        show_default=True,
        help="Use the shipped model's int8 or fp32 file (ignored with --model FILE).",
    )


int8_option = precision_option(False)
threads_option = click.option("--threads", type=click.IntRange(min=1), default=None, help="onnxruntime threads.")


def load_denoiser(model_path: str | None, int8: bool, threads: int | None):
    from dae_runtime.denoiser import Denoiser, DenoiserError
    from dae_runtime.shipped import resolve_model

    try:
        denoiser = Denoiser(resolve_model(model_path, "int8" if int8 else "fp32"), threads=threads)
    except (DenoiserError, FileNotFoundError, ValueError) as exc:
        from dae_runtime.shipped import shipped_models

        hint = ""
        if model_path in shipped_models():  # a file of that name in the current folder won over the shipped model
            hint = f" (the file ./{model_path} was used; for the shipped model of that name give --model {model_path}/)"
        raise click.ClickException(f"{exc}{hint}") from None
    if denoiser.path != denoiser.requested:
        click.echo(f"{denoiser.requested.name}: using {denoiser.path.name}, its variant for this CPU's "
                   f"{', '.join(denoiser.cpu_features)} (its manifest)", err=True)  # fmt: skip
    return denoiser


STDOUT = "-"  # --json - : the JSON goes to stdout

json_option = click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the results as JSON; '-' writes them to stdout and everything else to stderr.",
)
quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress lines or bars; errors and the result still show."
)


def file_not_stdout(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback: '-' would make a file named '-'; only --json writes to stdout."""
    if value == STDOUT:
        raise click.BadParameter("give a file name ('./-' for a file named '-'); '-' is not stdout here", ctx, param)
    return value


def folder_not_stdout(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Option callback for output folders: '-' reads as stdout to a shell user, and made a folder named '-'."""
    if value == STDOUT:
        raise click.BadParameter(
            "give a folder name ('./-' for a folder named '-'); '-' is not stdout here", ctx, param
        )
    return value


def file_target(path: str | None) -> str | None:
    """`path` if it names a file to write (for up-front writability checks), None for stdout or no path."""
    return None if path in (None, STDOUT) else path


def write_json_output(path: str, data: object) -> None:
    """The JSON result to a file (atomically) or, for '-', to stdout."""
    if path == STDOUT:
        click.echo(json.dumps(data, indent=2))
    else:
        from dae_runtime.atomic import write_json

        write_json(path, data)


class _SilentBar:
    """click.progressbar's interface, showing nothing (for --quiet)."""

    def __init__(self, iterable: Iterable | None = None):
        self.iterable = iterable

    def __enter__(self) -> _SilentBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __iter__(self) -> Iterator:
        return iter(self.iterable or ())

    def update(self, steps: float) -> None:
        return None


@dataclass(frozen=True)
class Console:
    """Where a command's lines go. The result goes to stdout, or to stderr when --json - has stdout;
    progress goes to stderr unless --quiet; errors are raised as click exceptions and always show."""

    quiet: bool = False
    json_path: str | None = None

    @property
    def json_to_stdout(self) -> bool:
        return self.json_path == STDOUT

    def result(self, text: str) -> None:
        click.echo(text, err=self.json_to_stdout)

    def progress(self, text: str) -> None:
        if not self.quiet:
            click.echo(text, err=True)

    def bar(self, iterable: Iterable | None = None, *, length: int | None = None, label: str = ""):
        if self.quiet:
            return _SilentBar(iterable)
        return click.progressbar(iterable, length=length, label=label, file=sys.stderr)
