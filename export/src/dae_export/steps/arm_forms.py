"""The Raspberry Pi bundle's own models (`dae export --target rpi`): the forms that cost the fewest
instructions on ARM (Cortex-A72/A76, onnxruntime's aarch64 wheel), measured with `make arm-cost` and
recorded in benchmarks/README.md ("ARM cost", "ncnn and MNN"). The export folder's models stay the x86
forms: these files go to the bundle only (StepResult.bundle_files), from the export's plain graph.

- fp32 (model.onnx): the decoder as two shifted 2x2 convs, the last as taps (rewrites.arm.arm_fp32).
- int8, two files, because no one file is cheapest on both Pi CPUs (their int8 kernels differ):
  model.int8.onnx, u8s8 (for CPUs without the dot product: the Pi 4's Cortex-A72, and any other CPU), and
  model.int8.asimddp.onnx, s8s8 (CPUs with it, `asimddp`: the Pi 5's Cortex-A76, where SDOT takes s8s8
  directly). The bundle's manifest names the second as the first's variant for `asimddp`; the runtime loads it
  in its place on such a CPU (dae_runtime.cpu_variant). Both read the image as 2 columns per channel
  (rewrites.seed.column_phase_encoder), each gated like the x86 file, the output's layout nodes as Reshapes
  where bit-identical. The seed's (fast graph): u8s8 with the decoder at 14x14 and NHWC pixel shuffles, s8s8
  with the first decoder conv per phase. A fast-phase graph's (the lowres U-Nets): s8s8 from the export's own fp32
  graph, u8s8 from it with the 1-output conv left at the map's resolution (a shifted 2x2 conv with 4 outputs,
  not in phase space with 16: ORT's u8s8 kernels on the A72 pay for the phase-space conv's 5x multiplications,
  the A76's s8s8 ones do not). lowres-unet2 at 10 digits a batch, against the x86 file (4 columns, phase space):
  40.85 -> 39.22 M instructions on the A72 (u8s8, -4.0 %; the 2 columns alone 40.11), 18.62 -> 16.63 M on the
  A76 (s8s8, -10.7 %; emulated, 2026-12-07, benchmarks/README.md).
Every fp32 graph, the int8 files' sources included, is checked against Keras. A graph the rewrites do not
fit (another architecture, the plain graph) keeps the x86 form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dae_export.config import FP32_ONNX, INT8_ONNX
from dae_export.errors import ExportError, RewriteNotApplicable
from dae_export.steps.base import ExportContext, ExportStep, GraphForm, OutputFile, StepResult
from dae_export.steps.onnx_fp32 import save_checked_fp32
from dae_export.steps.onnx_int8 import int8_metrics, quantize_gated, save_tagged_int8

INT8_ASIMDDP = "model.int8.asimddp.onnx"


@dataclass(frozen=True)
class Int8Form:
    file: str
    types: str  # u8s8 | s8s8
    source: Callable | None  # the plain fp32 graph -> the fp32 graph to quantize (None: the export's fp32 model)
    metrics: str  # its key in the manifest's metrics
    cpu_features: tuple[str, ...] = ()  # the /proc/cpuinfo features a CPU needs for it (none: any CPU)


def int8_forms(form: GraphForm) -> list[Int8Form]:
    """The bundle's int8 files for an export whose fp32 graph is in `form` (none for other forms)."""
    from dae_export.rewrites import arm_decoder

    if form == GraphForm.FAST:
        return [
            Int8Form(INT8_ONNX, "u8s8", lambda plain: arm_decoder.decoder_at_14(plain, nhwc=True), "onnx_int8"),
            Int8Form(INT8_ASIMDDP, "s8s8", arm_decoder.decoder_a_per_phase, "onnx_int8_asimddp", ("asimddp",)),
        ]
    if form == GraphForm.FAST_PHASE:
        return [
            Int8Form(INT8_ONNX, "u8s8", _phases_without_phase_space, "onnx_int8"),
            Int8Form(INT8_ASIMDDP, "s8s8", None, "onnx_int8_asimddp", ("asimddp",)),
        ]
    return []


def _phases_without_phase_space(plain):
    """The fast-phase graph (steps.onnx_fp32) with its 1-output conv at the map's resolution, not in phase space."""
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    return transpose_edges(phase_upsamples(plain))


class ArmFormsStep(ExportStep):
    name, order = "arm-forms", 85
    title = "ARM forms of the ONNX models for the Pi bundle"

    def selected(self, cfg) -> bool:
        return cfg.target == "rpi"

    def outputs(self, cfg) -> list[OutputFile]:
        return []  # the bundle's files only, kept out of the export folder

    def run(self, ctx: ExportContext) -> StepResult:
        result = StepResult()
        forms = int8_forms(ctx.form) if (ctx.stage / INT8_ONNX).exists() else []
        if ctx.form != GraphForm.FAST and not forms:
            ctx.say(f"      the {ctx.form} graph has no ARM form; the bundle keeps the export's models")
            return result
        dest = ctx.scratch / "arm"
        dest.mkdir(exist_ok=True)
        if ctx.form == GraphForm.FAST:
            _fp32(ctx, dest, result)
        else:
            ctx.say(f"      the {ctx.form} graph's fp32 model has no ARM form: the bundle keeps the export's")
        for form in forms:
            _int8(ctx, dest, result, form)
        return result


def _fp32(ctx: ExportContext, dest: Path, result: StepResult) -> None:
    from dae_export.rewrites import arm

    try:
        proto = arm.arm_fp32(ctx.plain_fp32())
    except RewriteNotApplicable as exc:
        ctx.say(f"      {exc}; the bundle keeps the fast graph")
        return
    diff = save_checked_fp32(ctx, proto, dest / FP32_ONNX)
    result.bundle_files[FP32_ONNX] = dest / FP32_ONNX
    result.bundle_metrics["onnx_fp32"] = {"max_abs_diff_vs_keras": diff}
    result.bundle_nodes[FP32_ONNX] = len(proto.graph.node)
    result.bundle_form = GraphForm.FAST_ARM


def _int8(ctx: ExportContext, dest: Path, result: StepResult, form: Int8Form) -> None:
    """One ARM int8 file into the bundle's files, or a note and the export's own int8 file left in its place (a form
    is a speed-up: a rewrite that does not fit, or an int8 form that fails its gate, must not block the export)."""
    try:
        _add_int8(ctx, dest, result, form)
    except (RewriteNotApplicable, ExportError) as exc:  # the architecture checks make this a bug, not a model: say so
        ctx.say(f"      {form.file}: {exc}; the bundle keeps the export's int8 model in its place")
    except Exception as exc:  # noqa: BLE001 - an optional speed-up must not block an export
        ctx.say(f"      {form.file}: the ARM form failed ({type(exc).__name__}: {exc}); the bundle keeps the export's")


def _add_int8(ctx: ExportContext, dest: Path, result: StepResult, form: Int8Form) -> None:
    import onnx

    from dae_export.parity import run_onnx
    from dae_export.rewrites import arm

    source = dest / f"{form.file}.fp32.onnx"
    if form.source is None:
        source = ctx.stage / FP32_ONNX  # checked against Keras by its own step
    else:
        save_checked_fp32(ctx, form.source(ctx.plain_fp32()), source)
    path = dest / form.file
    gate = quantize_gated(ctx, path, fast=True, encoder_columns=2, source=source, types=form.types)
    gated = run_onnx(path, ctx.val_noisy)
    q = onnx.load(str(path))
    try:
        tailed = arm.nhwc_output_tail(q)
        onnx.save(tailed, str(dest / "tail.onnx"))
        if np.array_equal(run_onnx(dest / "tail.onnx", ctx.val_noisy), gated):
            q = tailed  # bit-identical: the gate's figures hold
    except RewriteNotApplicable:
        pass  # not the phase decoder's output (the NHWC decoder ends in NHWC already): keep the tail
    (dest / "tail.onnx").unlink(missing_ok=True)
    result.bundle_nodes.update(save_tagged_int8(ctx, path, q))
    result.bundle_files[form.file] = path
    result.bundle_metrics[form.metrics] = int8_metrics(ctx, gated, gate)
    if form.cpu_features:
        result.bundle_described[form.file] = {"engine": "onnxruntime", "precision": "int8", "variant_of": INT8_ONNX,
                                              "cpu_features": list(form.cpu_features)}  # fmt: skip
