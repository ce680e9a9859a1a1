"""A stand-in export format: one module, one ExportStep subclass; a test registers it.

It writes the Keras weights as an .npz, the way a real new format (fp16 ONNX, a TensorRT plan...)
would write its file: the pipeline lists it, puts it in the manifest and summary, and publishes it.
"""

from __future__ import annotations

import numpy as np

from dae_export.steps import ExportContext, ExportStep, OutputFile, StepResult

WEIGHTS = "weights.npz"


class WeightsStep(ExportStep):
    name, order = "weights-npz", 95  # after the golden set: its figures must still reach the manifest
    title = "the model's weights as .npz (stand-in format)"

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(WEIGHTS)]

    def run(self, ctx: ExportContext) -> StepResult:
        weights = {f"w{i}": w for i, w in enumerate(ctx.model.get_weights())}
        np.savez(ctx.stage / WEIGHTS, **weights)
        return StepResult(metrics={"weights_npz": ctx.quality(ctx.keras_val)})  # the weights compute Keras' outputs


class UntidyStep(WeightsStep):
    """Writes a file it did not declare: the export must fail naming this step."""

    name, order = "untidy", 5

    def run(self, ctx: ExportContext) -> StepResult:
        result = super().run(ctx)
        (ctx.stage / "scratch.tmp").write_bytes(b"left behind")
        return result
