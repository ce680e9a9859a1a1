"""The Raspberry Pi bundle's own models (`dae export --target rpi`): the forms that cost the fewest
instructions on ARM (Cortex-A72/A76, onnxruntime's aarch64 wheel), measured with `make arm-cost` and
recorded in benchmarks/README.md ("ARM cost"). The export folder's models stay the x86 forms: these
files go to the bundle only (StepResult.bundle_files), written with the fp32 and int8 steps' helpers.

- fp32: the fast graph with its last conv as taps (rewrites.arm.arm_fp32), parity-checked again.
- int8: the fast graph quantized with the first conv over 2 columns instead of 4
  (rewrites.seed.column_phase_encoder), gated like the x86 file, then the output's layout nodes as
  Reshapes (rewrites.arm.nhwc_output_tail), kept only if its outputs are bit-identical.
A graph the rewrites do not fit (another architecture, the plain graph) keeps the x86 form.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_export.config import FP32_ONNX, INT8_ONNX
from dae_export.errors import RewriteNotApplicable
from dae_export.steps.base import ExportContext, ExportStep, GraphForm, OutputFile, StepResult
from dae_export.steps.onnx_fp32 import save_checked_fp32
from dae_export.steps.onnx_int8 import int8_metrics, quantize_gated, save_tagged_int8


class ArmFormsStep(ExportStep):
    name, order = "arm-forms", 85
    title = "ARM forms of the ONNX models for the Pi bundle"

    def selected(self, cfg) -> bool:
        return cfg.target == "rpi"

    def outputs(self, cfg) -> list[OutputFile]:
        return []  # the bundle's files only, kept out of the export folder

    def run(self, ctx: ExportContext) -> StepResult:
        result = StepResult()
        if ctx.form != GraphForm.FAST:
            ctx.say(f"      the {ctx.form} graph has no ARM form; the bundle keeps the export's models")
            return result
        dest = ctx.scratch / "arm"
        dest.mkdir(exist_ok=True)
        _fp32(ctx, dest, result)
        if (ctx.stage / INT8_ONNX).exists():
            _int8(ctx, dest, result)
        return result


def _fp32(ctx: ExportContext, dest: Path, result: StepResult) -> None:
    import onnx

    from dae_export.rewrites import arm

    try:
        proto = arm.arm_fp32(onnx.load(str(ctx.stage / FP32_ONNX)))
    except RewriteNotApplicable as exc:
        ctx.say(f"      {exc}; the bundle keeps the fast graph")
        return
    diff = save_checked_fp32(ctx, proto, dest / FP32_ONNX)
    result.bundle_files[FP32_ONNX] = dest / FP32_ONNX
    result.bundle_metrics["onnx_fp32"] = {"max_abs_diff_vs_keras": diff}
    result.bundle_nodes[FP32_ONNX] = len(proto.graph.node)
    result.bundle_form = GraphForm.FAST_ARM


def _int8(ctx: ExportContext, dest: Path, result: StepResult) -> None:
    import onnx

    from dae_export.parity import run_onnx
    from dae_export.rewrites import arm

    path = dest / INT8_ONNX
    gate = quantize_gated(ctx, path, fast=True, encoder_columns=2)
    gated = run_onnx(path, ctx.val_noisy)
    q = onnx.load(str(path))
    try:
        tailed = arm.nhwc_output_tail(q)
        onnx.save(tailed, str(dest / "tail.onnx"))
        if np.array_equal(run_onnx(dest / "tail.onnx", ctx.val_noisy), gated):
            q = tailed  # bit-identical: the gate's figures hold
    except RewriteNotApplicable:
        pass  # not the phase decoder's output: keep the tail as quantized
    (dest / "tail.onnx").unlink(missing_ok=True)
    result.bundle_nodes.update(save_tagged_int8(ctx, path, q))
    result.bundle_files[INT8_ONNX] = path
    result.bundle_metrics["onnx_int8"] = int8_metrics(ctx, gated, gate)
