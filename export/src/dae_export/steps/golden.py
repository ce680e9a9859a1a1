"""The golden set: noisy digits, clean targets and the Keras model's outputs, for checks on a device."""

from __future__ import annotations

import numpy as np

from dae_export.steps.base import ExportContext, ExportStep, OutputFile, StepResult

GOLDEN = "golden.npz"


class GoldenStep(ExportStep):
    name, order = "golden", 80
    title = "golden set and manifest"  # the manifest itself is written by the pipeline, after every step

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(GOLDEN, in_bundle=True)]

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export import metadata

        noisy = ctx.val_noisy
        # Spread over the validation set (it is ordered by class), so every digit class is in it.
        pick = np.linspace(0, len(noisy) - 1, min(ctx.cfg.golden_samples, len(noisy))).astype(int)
        metadata.write_golden(ctx.stage / GOLDEN, noisy[pick], ctx.val_clean[pick], ctx.keras_val[pick], ctx.noise)
        return StepResult()
