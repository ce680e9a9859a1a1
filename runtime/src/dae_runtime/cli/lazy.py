"""A click group whose subcommands come from other, optional packages, found by entry point.

`dae train` and `dae export` are implemented by dae-edge-train and dae-edge-export, which pull in
TensorFlow. Each declares its commands in the `dae_edge.commands` entry-point group; the runtime
imports a command's module only when that command is run or listed, and needs no name of theirs.
For the commands a runtime-only device lacks, OPTIONAL_COMMANDS says which package brings them: a
missing package is an install hint, never an ImportError.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import click

COMMAND_GROUP = "dae_edge.commands"
# Modules whose absence means "the optional package (or its TensorFlow) is not installed".
_OPTIONAL_MODULES = {"dae_train", "dae_export", "tensorflow", "keras", "tf2onnx", "onnx", "mlxtend"}


@dataclass(frozen=True)
class OptionalPackage:
    distribution: str  # e.g. dae-edge-train
    install_hint: str  # how to get it from a checkout


_TRAIN = OptionalPackage("dae-edge-train", "pip install ./train  (from a dae-edge checkout), or: make install")
_EXPORT = OptionalPackage("dae-edge-export", "pip install ./export  (from a dae-edge checkout), or: make install")
# Only for the hint on a device without them; the commands themselves come from the entry points.
OPTIONAL_COMMANDS = {"train": _TRAIN, "evaluate": _TRAIN, "export": _EXPORT, "demo": _EXPORT}


def _missing_command(name: str, package: OptionalPackage | None, missing: str) -> click.Command:
    where = f"the {package.distribution} package" if package else "a package"
    message = f"'dae {name}' needs {where}, which is not installed (no module named {missing!r})"
    message += f". Install it with: {package.install_hint}" if package else ""

    def fail(**_: object) -> None:
        raise click.ClickException(message)

    return click.Command(
        name,
        callback=fail,
        help=message,
        short_help=f"[not installed] needs {package.distribution if package else missing}",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
    )


class LazyGroup(click.Group):
    def _entry_points(self) -> dict[str, Any]:
        return {entry.name: entry for entry in entry_points(group=COMMAND_GROUP)}

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._entry_points()) | set(OPTIONAL_COMMANDS))  # type: ignore[arg-type]

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        own = super().get_command(ctx, cmd_name)  # type: ignore[arg-type]
        if own is not None:
            return own
        entry = self._entry_points().get(cmd_name)
        if entry is None:
            missing = OPTIONAL_COMMANDS.get(cmd_name)
            return _missing_command(cmd_name, missing, missing.distribution) if missing else None
        try:
            return entry.load()
        except ImportError as exc:
            # Only a missing optional package (or its heavy dependency) earns the hint;
            # any other import error is a bug and must surface as one.
            missing_module = getattr(exc, "name", None) or ""
            if missing_module.split(".")[0] in _OPTIONAL_MODULES:
                return _missing_command(cmd_name, OPTIONAL_COMMANDS.get(cmd_name), missing_module)
            raise
