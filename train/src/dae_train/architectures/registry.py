"""The architecture registry: names to Keras model builders.

A builder takes an input shape (None for an open side) and returns an uncompiled
keras.Model whose output has the input's shape, values in [0, 1]. Builders import Keras
inside themselves, so reading the names (`dae train --help`) stays TensorFlow-free.
"""

from __future__ import annotations

from collections.abc import Callable

InputShape = tuple[int | None, int | None, int]
Builder = Callable[[InputShape], object]

ARCHITECTURES: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """Decorator: `@register("name")` on a builder makes it `dae train --arch name`."""

    def add(builder: Builder) -> Builder:
        if name in ARCHITECTURES and ARCHITECTURES[name] is not builder:
            raise ValueError(f"architecture {name!r} is already registered")
        ARCHITECTURES[name] = builder
        return builder

    return add


def build_model(name: str = "seed", input_shape: InputShape = (None, None, 1)):
    try:
        builder = ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}") from None
    return builder(input_shape)
