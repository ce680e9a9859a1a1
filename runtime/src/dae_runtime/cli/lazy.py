"""A click group whose subcommands live in other, optional packages.

`dae train` and `dae export` are implemented by dae-edge-train and dae-edge-export,
which pull in TensorFlow. The runtime must start without them, so a subcommand is
imported only when it is run (or its help is shown), and a missing package turns into
an install hint instead of an ImportError.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    target: str  # "module:attribute" of the click command
    package: str  # distribution that provides the module, for the install hint
    install_hint: str  # how to get that distribution from a checkout
    short_help: str  # shown in `dae --help` without importing anything


def _missing_command(name: str, spec: LazyCommand, missing: str) -> click.Command:
    message = (
        f"'dae {name}' needs the {spec.package} package, which is not installed "
        f"(no module named {missing!r}). Install it with: {spec.install_hint}"
    )

    def fail(**_: object) -> None:
        raise click.ClickException(message)

    return click.Command(
        name,
        callback=fail,
        help=message,
        short_help=f"[not installed] {spec.short_help}",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
    )


class LazyGroup(click.Group):
    def __init__(self, *args: Any, lazy_commands: dict[str, LazyCommand] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing must not import the optional packages: use the stored short help.
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy_commands:
                rows.append((name, self.lazy_commands[name].short_help))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def _load(self, name: str) -> click.Command:
        spec = self.lazy_commands[name]
        module_name, attr = spec.target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            # Only a missing optional package (or its heavy dependency) earns the hint;
            # any other import error is a bug and must surface as one.
            missing = getattr(exc, "name", None) or ""
            top = missing.split(".")[0]
            if top in {module_name.split(".")[0], "tensorflow", "keras", "tf2onnx", "onnx", "mlxtend"}:
                return _missing_command(name, spec, missing)
            raise
        return getattr(module, attr)
