"""int8 ONNX: static QDQ quantization with onnxruntime.quantization, behind the accuracy gate."""

from __future__ import annotations

from dae_export.steps.base import ExportContext, ExportStep, OutputFile
from dae_export.steps.onnx_fp32 import FP32_ONNX

INT8_ONNX = "model.int8.onnx"


class OnnxInt8Step(ExportStep):
    name, order = "onnx-int8", 20

    def selected(self, cfg) -> bool:
        return cfg.int8

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(INT8_ONNX, "onnxruntime", "int8", in_bundle=True)]

    def heading(self, ctx: ExportContext) -> str:
        return f"int8 ONNX ({ctx.cfg.int8_types}, QDQ, per-channel) on {len(ctx.calib)} digits"

    def run(self, ctx: ExportContext) -> None:
        import onnx

        from dae_export import metadata, quantize
        from dae_export.parity import run_onnx

        cfg, path = ctx.cfg, ctx.stage / INT8_ONNX
        result = quantize.quantize_with_gate(
            ctx.stage / FP32_ONNX, path, ctx.calib, ctx.val_noisy, ctx.val_clean,
            cfg.max_int8_loss_db, cfg.int8_types, fast=ctx.form in ("fast", "fast-phase"),
            size_multiple=ctx.spec["size_multiple"],
        )  # fmt: skip
        q = onnx.load(str(path))
        metadata.set_onnx_metadata(q, "int8", ctx.noise, ctx.train_metrics, ctx.source_sha, ctx.spec)
        onnx.save(q, str(path))
        ctx.summary.nodes[INT8_ONNX] = len(q.graph.node)
        ctx.summary.metrics["onnx_int8"] = {
            **ctx.quality(run_onnx(path, ctx.val_noisy)),
            "psnr_loss_vs_fp32_db": result.psnr_loss_db,
            "types": result.types,
            "float_nodes": result.excluded_nodes,
        }
