"""Export formats as steps: one module per format, each declaring the files it writes.

The pipeline (dae_export.pipeline) runs the selected steps in order; the progress lines, the
summary, the manifest's file list (with each model's engine and precision) and the bundle's
contents all come from the steps' declarations and results. A new format is one module with an
ExportStep subclass plus `register(MyStep())`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dae_export.steps.arm_forms import ArmFormsStep
from dae_export.steps.base import ExportContext, ExportStep, GraphForm, OutputFile, StepResult
from dae_export.steps.golden import GoldenStep
from dae_export.steps.mnn_peer import MnnStep
from dae_export.steps.ncnn_peer import NcnnStep
from dae_export.steps.onnx_fp32 import OnnxFp32Step
from dae_export.steps.onnx_int8 import OnnxInt8Step
from dae_export.steps.rpi_bundle import RpiBundleStep
from dae_export.steps.tflite import TfliteStep
from dae_runtime.registry import Registry

if TYPE_CHECKING:
    from dae_export.config import ExportConfig

__all__ = [
    "STEPS", "ExportContext", "ExportStep", "GraphForm", "OutputFile", "StepResult", "register", "selected_steps",
]  # fmt: skip

STEPS: Registry[ExportStep] = Registry("export step")


def register(step: ExportStep) -> ExportStep:
    """Add an export format under its name (a taken name is refused: dae_runtime.registry)."""
    return STEPS.register(step.name, step)


def selected_steps(cfg: ExportConfig) -> list[ExportStep]:
    return sorted((s for s in STEPS.values() if s.selected(cfg)), key=lambda s: s.order)


for _step in (
    OnnxFp32Step(),
    OnnxInt8Step(),
    TfliteStep(),
    NcnnStep(),
    MnnStep(),
    GoldenStep(),
    ArmFormsStep(),
    RpiBundleStep(),
):
    register(_step)
