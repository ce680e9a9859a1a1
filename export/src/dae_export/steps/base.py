"""What an export step is: the files it declares, and the context every step reads and fills."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dae_export.pipeline import ExportConfig, ExportSummary
    from dae_runtime.noise import NoiseRange, NoiseSpec

ENGINES = ("onnxruntime", "tflite")
PRECISIONS = ("fp32", "int8")


@dataclass(frozen=True)
class OutputFile:
    """A file a step writes into the export folder. Model files say which engine runs them and at
    what precision; manifest.json carries both, so readers find models without knowing file names."""

    name: str
    engine: str | None = None  # "onnxruntime" | "tflite" for a model file
    precision: str | None = None  # "fp32" | "int8" for a model file
    in_bundle: bool = False  # also copied into the Raspberry Pi bundle

    def describe(self) -> dict:
        """The keys this file adds to its manifest entry (none for a file that is not a model)."""
        return {k: v for k, v in (("engine", self.engine), ("precision", self.precision)) if v is not None}


@dataclass
class ExportContext:
    """Everything a step may read (config, model, digits) and what earlier steps left for later ones."""

    cfg: ExportConfig
    model: Any  # the Keras model
    stage: Path  # the staging folder every file is written to
    spec: dict  # metadata.input_spec(model)
    noise: dict  # the noise description written to the metadata and manifest
    noise_model: NoiseSpec | NoiseRange
    calib: np.ndarray  # noisy training digits (int8 calibration)
    val_noisy: np.ndarray
    val_clean: np.ndarray
    train_metrics: dict
    source: Path
    source_sha: str
    summary: ExportSummary
    say: Callable[[str], None] = print  # a note under the current step's line
    form: str = "plain"  # the fp32 graph's form, set by the fp32 step
    sections: dict = field(default_factory=dict)  # manifest sections, filled by the golden step
    outputs: list[OutputFile] = field(default_factory=list)  # every file the selected steps declare

    @cached_property
    def keras_val(self) -> np.ndarray:
        """The Keras model's outputs on the validation digits: what every converted model is held to."""
        from dae_export.parity import run_keras

        return run_keras(self.model, self.val_noisy)

    def quality(self, pred: np.ndarray, vs_keras: bool = True) -> dict:
        """PSNR/SSIM on the validation digits and, unless told not to, the max abs difference to Keras."""
        from dae_runtime.metrics import quality

        return quality(pred, self.val_clean, self.keras_val if vs_keras else None)


class ExportStep:
    """One export format. Subclass, set `name`, `order` and `title`, declare `outputs`, write them in
    `run`, and register an instance with dae_export.steps.register. Steps run in `order`."""

    name: str = ""
    order: int = 50  # fp32 10, int8 20, TFLite 30, golden set 80, Pi bundle 90
    title: str = ""

    def selected(self, cfg: ExportConfig) -> bool:
        return True

    def outputs(self, cfg: ExportConfig) -> list[OutputFile]:
        raise NotImplementedError

    def heading(self, ctx: ExportContext) -> str:
        """The progress line; the title unless the step says more."""
        return self.title

    def run(self, ctx: ExportContext) -> None:
        raise NotImplementedError
