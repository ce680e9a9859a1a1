"""int8 ONNX: static QDQ quantization with onnxruntime.quantization, behind the accuracy gate."""

from __future__ import annotations

from pathlib import Path

from dae_export.config import FP32_ONNX, INT8_ONNX
from dae_export.steps.base import ExportContext, ExportStep, GraphForm, OutputFile, StepResult

# the fp32 forms whose int8 form has the layout rewrites (quantize._int8_source)
INT8_FAST_FORMS = (GraphForm.FAST, GraphForm.FAST_PHASE)


class OnnxInt8Step(ExportStep):
    name, order = "onnx-int8", 20

    def selected(self, cfg) -> bool:
        return cfg.int8

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(INT8_ONNX, "onnxruntime", "int8", in_bundle=True)]

    def heading(self, ctx: ExportContext) -> str:
        return f"int8 ONNX ({ctx.cfg.int8_types}, QDQ, per-channel) on {len(ctx.calib)} digits"

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export.parity import run_onnx

        path = ctx.stage / INT8_ONNX
        gate = quantize_gated(ctx, path, fast=ctx.form in INT8_FAST_FORMS)
        nodes = save_tagged_int8(ctx, path)
        return StepResult(metrics={"onnx_int8": int8_metrics(ctx, run_onnx(path, ctx.val_noisy), gate)}, nodes=nodes)


def quantize_gated(ctx: ExportContext, path: Path, fast: bool, encoder_columns: int = 4, source: Path | None = None,
                   types: str | None = None):  # fmt: skip
    """An fp32 model (the stage's, or `source`) quantized into `path` behind the accuracy gate, with the
    export's int8 types or `types` (quantize.Int8Result)."""
    from dae_export import quantize

    cfg = ctx.cfg
    return quantize.quantize_with_gate(
        source or ctx.stage / FP32_ONNX, path, ctx.calib, ctx.val_noisy, ctx.val_clean, cfg.max_int8_loss_db,
        types or cfg.int8_types, fast=fast, encoder_columns=encoder_columns, size_multiple=ctx.spec["size_multiple"],
    )  # fmt: skip


def save_tagged_int8(ctx: ExportContext, path: Path, proto=None) -> dict[str, int]:
    """The int8 model at `path` (or `proto`) saved there with the export's metadata; its node count."""
    import onnx

    from dae_export import metadata

    q = proto if proto is not None else onnx.load(str(path))
    metadata.set_onnx_metadata(q, "int8", ctx.noise, ctx.train_metrics, ctx.source_sha, ctx.spec)
    onnx.save(q, str(path))
    return {path.name: len(q.graph.node)}


def int8_metrics(ctx: ExportContext, outputs, gate) -> dict:
    """The manifest's figures of an int8 model: quality on the validation digits and the gate's verdict."""
    return {
        **ctx.quality(outputs),
        "psnr_loss_vs_fp32_db": gate.psnr_loss_db,
        "types": gate.types,
        "float_nodes": gate.excluded_nodes,
    }
