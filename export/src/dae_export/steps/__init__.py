"""Export formats as steps: one module per format, each declaring the files it writes.

The pipeline (dae_export.pipeline) runs the selected steps in order; the progress lines, the
summary, the manifest's file list (with each model's engine and precision) and the bundle's
contents all come from the steps' declarations. A new format is one module with an ExportStep
subclass plus `register(MyStep())`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dae_export.steps.base import ExportContext, ExportStep, OutputFile
from dae_export.steps.golden import GoldenStep
from dae_export.steps.onnx_fp32 import OnnxFp32Step
from dae_export.steps.onnx_int8 import OnnxInt8Step
from dae_export.steps.rpi_bundle import RpiBundleStep
from dae_export.steps.tflite import TfliteStep

if TYPE_CHECKING:
    from dae_export.pipeline import ExportConfig

__all__ = ["STEPS", "ExportContext", "ExportStep", "OutputFile", "register", "selected_steps"]

STEPS: dict[str, ExportStep] = {}


def register(step: ExportStep) -> ExportStep:
    """Add an export format; its name must be new."""
    if not step.name or step.name in STEPS:
        raise ValueError(f"export step name {step.name!r} is empty or taken")
    STEPS[step.name] = step
    return step


def selected_steps(cfg: ExportConfig) -> list[ExportStep]:
    return sorted((s for s in STEPS.values() if s.selected(cfg)), key=lambda s: s.order)


for _step in (OnnxFp32Step(), OnnxInt8Step(), TfliteStep(), GoldenStep(), RpiBundleStep()):
    register(_step)
