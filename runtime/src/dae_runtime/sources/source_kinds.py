"""Which source a `dae live` option means: every source module registers itself here.

Adding a source is one new module in this package with a `@register(...)` class, and its name
in `SOURCE_MODULES` (sources/__init__.py). A source's library is imported only in its `open`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dae_runtime.registry import Registry
from dae_runtime.sources.base import CaptureSettings, FrameSource, SourceError


@dataclass(frozen=True)
class SourceKind:
    name: str
    option: str  # "camera" (--camera SPEC) or "source" (--source SPEC)
    accepts: Callable[[str], bool]
    create: Callable[[str, CaptureSettings], FrameSource]
    example: str  # for the error that lists what --camera accepts


SOURCES: Registry[SourceKind] = Registry("camera source")


def register(name: str, option: str, accepts: Callable[[str], bool], example: str):
    """Class decorator: `cls(spec, settings)` is built for any SPEC of `option` that `accepts`.
    A taken name is refused (dae_runtime.registry); a test's stand-in unregisters itself after."""

    def add(cls):
        SOURCES.register(name, SourceKind(name, option, accepts, cls, example))
        return cls

    return add


def unregister(name: str) -> None:
    SOURCES.unregister(name)


def kinds() -> list[SourceKind]:
    return SOURCES.values()


def make_source(option: str, spec: str, settings: CaptureSettings | None = None) -> FrameSource:
    """The source for `--camera SPEC` or `--source SPEC` (not yet open)."""
    settings = settings or CaptureSettings()
    for kind in SOURCES.values():
        if kind.option == option and kind.accepts(spec):
            return kind.create(spec, settings)
    examples = ", ".join(k.example for k in SOURCES.values() if k.option == option)
    raise SourceError(f"unknown --{option} {spec!r}: use one of {examples}")
