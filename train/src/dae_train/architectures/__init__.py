"""Model architectures, by name.

Callers ask for `build_model(name)`. A new architecture is one module in this folder whose
builder carries `@register("name")`, plus its import below; nothing else changes (the
`--arch` choices, the config check and the export read the registry and the model itself).
Every architecture is fully convolutional with an open spatial size; its depth (number of
2x2 poolings) sets the multiple that a frame's sides must have, which the export reads
from the model itself.
"""

from __future__ import annotations

from dae_train.architectures.registry import (
    ARCHITECTURES,
    BATCHNORM_READY,
    batchnorm_choices,
    build_model,
    register,
)

# the built-in zoo: importing a module registers its builder (the order is the --arch order)
from dae_train.architectures import seed, seed_skip, unet, lowres_unet  # noqa: E402, F401  # isort: skip

__all__ = ["ARCHITECTURES", "BATCHNORM_READY", "batchnorm_choices", "build_model", "register"]
