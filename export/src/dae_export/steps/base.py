"""What an export step is: the files it declares, what it may read, and what it gives back.

A step reads an ExportContext (the config, the model, the digits, the stage folder, and the results
of the steps before it, read-only) and returns a StepResult: its figures for the manifest, the node
counts of its ONNX models, the graph form it wrote, and any files meant for the Pi bundle only. The
pipeline writes the manifest after every step from those results, so no step fills another's section.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dae_export.config import ExportConfig
    from dae_runtime.noise import NoiseRange, NoiseSpec


class GraphForm(str, Enum):
    """The form an ONNX graph was written in; the manifest's graph.form is its value."""

    FAST = "fast"  # the seed's decoder as phase convs (rewrites.seed)
    FAST_SKIP = "fast-skip"  # seed-skip's last upsample, skip and conv as phase convs (rewrites.skips)
    FAST_PHASE = "fast-phase"  # any upsampling decoder as phase convs (rewrites.phases)
    FAST_ARM = "fast-arm"  # the Pi bundle's forms of the fast graph (rewrites.arm)
    PLAIN = "plain"  # tf2onnx's clean graph

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class OutputFile:
    """A file a step writes into the export folder. Model files say which engine runs them and at
    what precision; manifest.json carries both, so readers find models without knowing file names."""

    name: str
    engine: str | None = None  # a registered engine name (dae_runtime.bench.engines) for a model file
    precision: str | None = None  # one of dae_runtime.bench.engines.PRECISIONS for a model file
    in_bundle: bool = False  # also copied into the Raspberry Pi bundle

    def describe(self) -> dict:
        """The keys this file adds to its manifest entry (none for a file that is not a model)."""
        return {k: v for k, v in (("engine", self.engine), ("precision", self.precision)) if v is not None}


@dataclass
class StepResult:
    """What a step gives. metrics and nodes go into the manifest (metrics.<key>, graph.nodes.<file>);
    form is the graph form of the fp32 model, from the step that wrote it. bundle_* are the Pi
    bundle's own versions: files that replace the export's files of that name in the bundle (kept
    outside the export folder), and the figures that replace the export's for those files."""

    metrics: dict[str, dict] = field(default_factory=dict)
    nodes: dict[str, int] = field(default_factory=dict)
    form: GraphForm | None = None
    bundle_files: dict[str, Path] = field(default_factory=dict)
    bundle_metrics: dict[str, dict] = field(default_factory=dict)  # merged key by key over metrics
    bundle_nodes: dict[str, int] = field(default_factory=dict)
    bundle_form: GraphForm | None = None
    # manifest keys of bundle files no step declares for the export folder (model.int8.asimddp.onnx)
    bundle_described: dict[str, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportContext:
    """What a step may read. `results` holds the results of the steps that ran before it (read-only);
    files go into `stage` (the export folder to be) or, for the bundle only, `scratch`."""

    cfg: ExportConfig
    model: Any  # the Keras model
    stage: Path  # the staging folder every declared file is written to
    scratch: Path  # a private folder for files that are not the export's (removed after the export)
    spec: dict  # metadata.input_spec(model)
    noise: dict  # the noise description written to the metadata and manifest
    noise_model: NoiseSpec | NoiseRange
    calib: np.ndarray  # noisy training digits (int8 calibration)
    val_noisy: np.ndarray
    val_clean: np.ndarray
    train_metrics: dict
    source: Path
    source_sha: str
    outputs: tuple[OutputFile, ...]  # every file the selected steps declare
    results: Mapping[str, StepResult]  # the earlier steps' results, by step name
    say: Callable[[str], None] = print  # a note under the current step's line

    @property
    def form(self) -> GraphForm:
        """The form of the fp32 graph in the stage, as its step declared it (plain if none did)."""
        return next((r.form for r in self.results.values() if r.form is not None), GraphForm.PLAIN)

    @cached_property
    def _plain_fp32(self) -> bytes:
        from dae_export.keras_to_onnx import convert_fp32

        return convert_fp32(self.model, self.cfg.opset).SerializeToString()

    def plain_fp32(self):
        """The model as tf2onnx's plain fp32 graph (keras_to_onnx.convert_fp32), converted once per export;
        each call gives a fresh copy, which the caller may rewrite."""
        import onnx

        proto = onnx.ModelProto()
        proto.ParseFromString(self._plain_fp32)
        return proto

    @cached_property
    def keras_val(self) -> np.ndarray:
        """The Keras model's outputs on the validation digits: what every converted model is held to."""
        from dae_export.parity import run_keras

        return run_keras(self.model, self.val_noisy)

    @cached_property
    def parity_inputs(self) -> list[np.ndarray]:
        """What every ONNX fp32 model is checked on against Keras: parity digits and odd-sized frames."""
        return [self.val_noisy[: self.cfg.parity_samples], self.odd_frames()]

    @cached_property
    def keras_parity(self) -> list[np.ndarray]:
        """The Keras model's outputs for parity_inputs, computed once for every model checked."""
        from dae_export.parity import run_keras

        return [run_keras(self.model, x) for x in self.parity_inputs]

    def quality(self, pred: np.ndarray, vs_keras: bool = True) -> dict:
        """PSNR/SSIM on the validation digits and, unless told not to, the max abs difference to Keras."""
        from dae_runtime.metrics import quality

        return quality(pred, self.val_clean, self.keras_val if vs_keras else None)

    def odd_frames(self) -> np.ndarray:
        """Frames other than digits for parity checks: 56x84 for the seed's size multiple 4."""
        m = self.spec["size_multiple"]
        return np.random.default_rng(self.cfg.seed).random((3, 14 * m, 21 * m, 1), dtype=np.float32)


class ExportStep:
    """One export format. Subclass, set `name`, `order` and `title`, declare `outputs`, write them in
    `run` and return what it gives; register an instance with dae_export.steps.register. Steps run
    in `order`."""

    name: str = ""
    order: int = 50  # fp32 10, int8 20, TFLite 30, ncnn 40, MNN 45, golden set 80, ARM forms 85, Pi bundle 90
    title: str = ""

    def selected(self, cfg: ExportConfig) -> bool:
        return True

    def preflight(self, cfg: ExportConfig) -> None:
        """Raise ExportError if this step cannot run here (a missing package), before any step runs."""

    def outputs(self, cfg: ExportConfig) -> list[OutputFile]:
        raise NotImplementedError

    def heading(self, ctx: ExportContext) -> str:
        """The progress line; the title unless the step says more."""
        return self.title

    def run(self, ctx: ExportContext) -> StepResult:
        raise NotImplementedError
