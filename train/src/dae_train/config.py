"""Training configuration. The defaults are the recipe of the model the project ships."""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, fields

LOSSES = ("bce", "mse")
DEFAULT_SIGMAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)  # dae evaluate's noise levels
SCHEDULES = ("cosine", "constant")


@dataclass
class TrainConfig:
    data: str = "auto"  # auto | builtin | path to mnist.npz or an IDX folder
    epochs: int = 150  # upper bound; early stopping may end sooner
    batch_size: int = 16  # small batches: the 28k-param model gains from more updates (benchmarks/README.md)
    lr: float = 1.5e-3  # Adam learning rate (start of the cosine schedule)
    schedule: str = "cosine"  # cosine: decays lr to 0 over all epochs; constant: fixed lr
    loss: str = "bce"  # bce: binary cross-entropy as in the seed; mse: mean squared error
    noise: float = 0.5  # noise level: sigma for gaussian/speckle, pixel fraction for salt-pepper
    # blind noise: when set, each digit's level is drawn from [noise, noise_max] afresh every epoch,
    # and validation uses levels spread evenly over the range (dae_runtime.noise.NoiseRange)
    noise_max: float | None = None
    noise_kind: str = "gaussian"  # gaussian | salt-pepper | speckle
    max_shift: int = 2  # random shift augmentation, pixels in x and y (0 turns it off)
    rotate: float = 0.0  # random rotation augmentation, up to this many degrees either way (0: off)
    scale: float = 0.0  # random scaling augmentation, by up to 1 +- this (0: off)
    patience: int = 30  # early stopping: epochs without a better validation PSNR
    seed: int = 0  # weights, shuffling, augmentation and noise all follow from it
    arch: str = "seed"  # model architecture, see dae_train.architectures
    # BatchNormalization after each hidden conv while training; the saved model.keras has it folded
    # into the convs, so it is the plain architecture (dae_train.batchnorm_fold)
    batchnorm: bool = False
    xla: bool = True  # compile the training step with XLA: 19.5 against 29.1 ms per step on 2 cores (2026-11-26)
    validation_fraction: float = 0.1  # for sources without a fixed split (builtin uses 500 fixed digits)

    def validate(self) -> None:
        """Raise ValueError with a user-facing message for settings that cannot work."""
        from dae_train.architectures import ARCHITECTURES, BATCHNORM_READY, batchnorm_choices

        checks = [
            (self.epochs >= 1, f"epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"batch size must be at least 1, got {self.batch_size}"),
            (self.lr > 0, f"learning rate must be positive, got {self.lr}"),
            (self.schedule in SCHEDULES, f"schedule must be one of {', '.join(SCHEDULES)}"),
            (self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}"),
            (self.max_shift >= 0, f"max shift must be 0 or more, got {self.max_shift}"),
            (0 <= self.rotate <= 45, f"rotation must be 0 to 45 degrees, got {self.rotate}"),
            (0 <= self.scale < 0.5, f"scale must be 0 or more and below 0.5, got {self.scale}"),
            (self.patience >= 1, f"patience must be at least 1, got {self.patience}"),
            (self.arch in ARCHITECTURES, f"unknown architecture {self.arch!r}"),
            (
                not self.batchnorm or self.arch in BATCHNORM_READY,
                f"--batchnorm works with {batchnorm_choices()}, not {self.arch}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        self.noise_model()  # raises on a bad kind, level or range

    def noise_model(self):
        """The training noise: a NoiseSpec (one level) or a NoiseRange (blind, noise..noise_max)."""
        from dae_runtime.noise import NoiseRange, NoiseSpec

        if self.noise_max is None:
            return NoiseSpec(self.noise_kind, self.noise)
        return NoiseRange(self.noise_kind, self.noise, self.noise_max)

    @property
    def noise_label(self) -> str:
        return f"{self.noise}" if self.noise_max is None else f"{self.noise}:{self.noise_max}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    @classmethod
    def from_saved(cls, d: dict) -> TrainConfig:
        """A run's saved settings; runs saved before the xla setting existed trained without XLA."""
        return cls.from_dict({"xla": False, **d})

    @classmethod
    def accepted_types(cls) -> dict[str, tuple[type, ...]]:
        """Each setting's accepted JSON value types, from the annotations (an int is a valid float)."""
        accepted = {}
        for name, hint in typing.get_type_hints(cls).items():
            kinds = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
            accepted[name] = tuple(kinds) + ((int,) if float in kinds else ())
        return accepted
