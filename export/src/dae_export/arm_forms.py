"""The Raspberry Pi bundle's own models (`dae export --target rpi`): the forms that cost the fewest
instructions on ARM (Cortex-A72/A76, onnxruntime's aarch64 wheel), measured with `make arm-cost` and
recorded in benchmarks/README.md ("ARM cost"). The export folder's models stay the x86 forms.

- fp32: the fast graph with its last conv as taps (arm_rewrites.last_conv_as_taps), parity-checked again.
- int8: the fast graph quantized with the first conv over 2 columns instead of 4
  (fast_graph.column_phase_encoder), gated like the x86 file, then the output's layout nodes as
  Reshapes (arm_rewrites.nhwc_output_tail), kept only if its outputs are bit-identical.
A graph the rewrites do not fit (another architecture, the plain graph) keeps the x86 form.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dae_export.onnx_fp32 import ExportError
from dae_export.steps.base import ExportContext

FP32, INT8 = "model.onnx", "model.int8.onnx"


def write_arm_models(ctx: ExportContext, dest: Path) -> tuple[dict[str, Path], dict]:
    """{name: path} of the bundle's ONNX models (written in dest, or the stage's own where no ARM form
    applies) and the bundle's manifest sections: the export's, with the figures of these files."""
    sections = json.loads(json.dumps(ctx.sections))
    files = {FP32: _fp32(ctx, dest, sections)}
    if (ctx.stage / INT8).exists():
        files[INT8] = _int8(ctx, dest, sections) if ctx.form == "fast" else ctx.stage / INT8
    return files, sections


def _tag(ctx: ExportContext, proto, precision: str) -> None:
    from dae_export import metadata

    metadata.set_onnx_metadata(proto, precision, ctx.noise, ctx.train_metrics, ctx.source_sha, ctx.spec)


def _fp32(ctx: ExportContext, dest: Path, sections: dict) -> Path:
    import onnx

    from dae_export import arm_rewrites, parity

    try:
        arm = arm_rewrites.arm_fp32(onnx.load(str(ctx.stage / FP32))) if ctx.form == "fast" else None
    except ExportError as exc:
        ctx.say(f"      {exc}; the bundle keeps the fast graph")
        arm = None
    if arm is None:
        return ctx.stage / FP32
    _tag(ctx, arm, "fp32")
    onnx.save(arm, str(dest / FP32))
    m = ctx.spec["size_multiple"]
    odd_frames = np.random.default_rng(ctx.cfg.seed).random((3, 14 * m, 21 * m, 1), dtype=np.float32)
    diff = parity.check_parity(dest / FP32, ctx.model, [ctx.val_noisy[: ctx.cfg.parity_samples], odd_frames])
    sections.setdefault("metrics", {}).setdefault("onnx_fp32", {})["max_abs_diff_vs_keras"] = diff
    graph = sections.setdefault("graph", {})
    graph["form"] = "fast-arm"
    graph.setdefault("nodes", {})[FP32] = len(arm.graph.node)
    return dest / FP32


def _int8(ctx: ExportContext, dest: Path, sections: dict) -> Path:
    import onnx

    from dae_export import arm_rewrites, quantize
    from dae_export.parity import run_onnx

    cfg, path = ctx.cfg, dest / INT8
    result = quantize.quantize_with_gate(
        ctx.stage / FP32, path, ctx.calib, ctx.val_noisy, ctx.val_clean,
        cfg.max_int8_loss_db, cfg.int8_types, fast=True, encoder_columns=2, size_multiple=ctx.spec["size_multiple"],
    )  # fmt: skip
    gated = run_onnx(path, ctx.val_noisy)
    q = onnx.load(str(path))
    try:
        tailed = arm_rewrites.nhwc_output_tail(q)
        onnx.save(tailed, str(dest / "tail.onnx"))
        if np.array_equal(run_onnx(dest / "tail.onnx", ctx.val_noisy), gated):
            q = tailed  # bit-identical: the gate's figures hold
    except ExportError:
        pass  # not the phase decoder's output: keep the tail as quantized
    (dest / "tail.onnx").unlink(missing_ok=True)
    _tag(ctx, q, "int8")
    onnx.save(q, str(path))
    sections.setdefault("metrics", {})["onnx_int8"] = {
        **ctx.quality(gated),
        "psnr_loss_vs_fp32_db": result.psnr_loss_db,
        "types": result.types,
        "float_nodes": result.excluded_nodes,
    }
    sections.setdefault("graph", {}).setdefault("nodes", {})[INT8] = len(q.graph.node)
    return path
