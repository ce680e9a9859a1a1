"""The architecture registry: names to Keras model builders.

A builder takes an input shape (None for an open side) and returns an uncompiled
keras.Model whose output has the input's shape, values in [0, 1]. Builders import Keras
inside themselves, so reading the names (`dae train --help`) stays TensorFlow-free.
"""

from __future__ import annotations

from collections.abc import Callable

from dae_runtime.registry import Registry, UnknownNameError

InputShape = tuple[int | None, int | None, int]
Builder = Callable[[InputShape], object]

ARCHITECTURES: Registry[Builder] = Registry("architecture")
# builders that also take batchnorm=True: the same model with BatchNormalization after each hidden conv,
# for training only (dae_train.batchnorm_fold folds it back into the plain model's convs)
BATCHNORM_READY: set[str] = set()


def register(name: str, batchnorm: bool = False) -> Callable[[Builder], Builder]:
    """Decorator: `@register("name")` on a builder makes it `dae train --arch name`."""

    def add(builder: Builder) -> Builder:
        ARCHITECTURES.register(name, builder)  # a different builder under a taken name is refused
        if batchnorm:
            BATCHNORM_READY.add(name)
        return builder

    return add


def build_model(name: str = "seed", input_shape: InputShape = (None, None, 1), batchnorm: bool = False):
    try:
        builder = ARCHITECTURES.get(name)
    except UnknownNameError as exc:
        raise ValueError(str(exc)) from None
    if not batchnorm:
        return builder(input_shape)
    if name not in BATCHNORM_READY:
        raise ValueError(f"{batchnorm_choices()} train with batchnorm; {name!r} does not")
    return builder(input_shape, batchnorm=True)  # type: ignore[call-arg]


def batchnorm_choices() -> str:
    """The architectures that train with batchnorm, for messages."""
    return ", ".join(n for n in ARCHITECTURES if n in BATCHNORM_READY) or "no architectures"
