"""The golden set (noisy digits, clean targets, Keras outputs) and the manifest's sections."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from dae_export.steps.base import ExportContext, ExportStep, OutputFile

GOLDEN = "golden.npz"


class GoldenStep(ExportStep):
    name, order = "golden", 80
    title = "golden set and manifest"  # the manifest itself is written by the pipeline, after every step

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(GOLDEN, in_bundle=True)]

    def run(self, ctx: ExportContext) -> None:
        from dae_export import metadata

        cfg, noisy = ctx.cfg, ctx.val_noisy
        # Spread over the validation set (it is ordered by class), so every digit class is in it.
        pick = np.linspace(0, len(noisy) - 1, min(cfg.golden_samples, len(noisy))).astype(int)
        metadata.write_golden(ctx.stage / GOLDEN, noisy[pick], ctx.val_clean[pick], ctx.keras_val[pick], ctx.noise)
        summary = ctx.summary
        ctx.sections.update(
            input=ctx.spec,
            noise=ctx.noise,
            metrics={"validation_digits": len(noisy), "train": ctx.train_metrics, **summary.metrics},
            graph={"form": ctx.form, "nodes": summary.nodes, "opset": cfg.opset},
            source_model={"name": ctx.source.name, "sha256": ctx.source_sha},
            export_config={k: v for k, v in asdict(cfg).items() if k not in ("model", "out")},
        )
