"""The manifest's sections (beside its file list) from the export's inputs and every step's result.

Built after the steps that contribute (the pipeline calls it after all of them; the bundle step for
the steps before it), so no step depends on running before another to have its figures listed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dae_export.steps.base import ExportContext, StepResult


def manifest_sections(ctx: ExportContext, results: list[StepResult], for_bundle: bool = False) -> dict:
    """input, noise, metrics, graph, source_model and export_config. for_bundle: with the figures of
    the bundle's own forms (StepResult.bundle_*) over the export's."""
    metrics: dict[str, dict] = {"validation_digits": len(ctx.val_noisy), "train": ctx.train_metrics}  # type: ignore[dict-item]
    nodes: dict[str, int] = {}
    form = ctx.form
    for result in results:
        metrics.update(result.metrics)
        nodes.update(result.nodes)
    if for_bundle:
        for result in results:
            for key, figures in result.bundle_metrics.items():
                metrics[key] = {**metrics.get(key, {}), **figures}
            nodes.update(result.bundle_nodes)
            form = result.bundle_form or form
    cfg = ctx.cfg
    return dict(
        input=ctx.spec,
        noise=ctx.noise,
        metrics=metrics,
        graph={"form": form.value, "nodes": nodes, "opset": cfg.opset},
        source_model={"name": ctx.source.name, "sha256": ctx.source_sha},
        export_config={k: v for k, v in asdict(cfg).items() if k not in ("model", "out")},
    )
