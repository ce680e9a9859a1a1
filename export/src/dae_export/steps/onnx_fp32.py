"""fp32 ONNX through tf2onnx (fast or plain graph), checked against Keras."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dae_export.config import FP32_ONNX
from dae_export.errors import RewriteNotApplicable
from dae_export.steps.base import ExportContext, ExportStep, GraphForm, OutputFile, StepResult


class OnnxFp32Step(ExportStep):
    name, order = "onnx-fp32", 10

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(FP32_ONNX, "onnxruntime", "fp32", in_bundle=True)]

    def heading(self, ctx: ExportContext) -> str:
        return f"fp32 ONNX (tf2onnx, opset {ctx.cfg.opset}, {ctx.cfg.graph} graph) and parity with Keras"

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export import parity

        path = ctx.stage / FP32_ONNX
        proto, form = fast_or_plain(ctx.plain_fp32(), ctx.cfg.graph, ctx.say, ctx.spec["size_multiple"])
        diff = save_checked_fp32(ctx, proto, path)
        fp32_val = parity.run_onnx(path, ctx.val_noisy)
        return StepResult(
            metrics={
                "keras": ctx.quality(ctx.keras_val, vs_keras=False),
                "onnx_fp32": {**ctx.quality(fp32_val, vs_keras=False), "max_abs_diff_vs_keras": diff},
            },
            nodes={FP32_ONNX: len(proto.graph.node)},
            form=form,
        )


def save_checked_fp32(ctx: ExportContext, proto, path: Path) -> float:
    """Tag `proto` with the export's metadata, save it, and check it against Keras on the parity digits
    and odd-sized frames (ExportError beyond 1e-4); the max abs difference."""
    import onnx

    from dae_export import metadata, parity

    metadata.set_onnx_metadata(proto, "fp32", ctx.noise, ctx.train_metrics, ctx.source_sha, ctx.spec)
    onnx.save(proto, str(path))
    return parity.check_parity(path, ctx.model, ctx.parity_inputs, references=ctx.keras_parity)


def fast_or_plain(
    proto, graph: str, say: Callable[[str], None], size_multiple: int | None = None
) -> tuple[Any, GraphForm]:
    """The first fast form whose rewrite applies (graph "fast"); else the plain graph, with a note
    saying why. size_multiple: the model's, for the rewrites that need even map sides (None: not those)."""
    if graph != "fast":
        return proto, GraphForm.PLAIN
    reason: Exception = RewriteNotApplicable("fast graph: no rewrite applies")
    for form, rewrite in _fast_forms(size_multiple):
        try:
            return rewrite(proto), form
        except RewriteNotApplicable as exc:  # not this form's architecture: try the next
            reason = exc
        except Exception as exc:  # noqa: BLE001 - an optional speed-up must not block an export
            return _plain(exc, proto, say)
    return _plain(reason, proto, say)


def _fast_forms(size_multiple: int | None) -> list[tuple[GraphForm, Callable[[Any], Any]]]:
    """(form, rewrite), most specific first: the seed's, seed-skip's, then any upsampling decoder's."""
    from dae_export.rewrites import seed
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.skips import last_skip_phase

    return [
        (GraphForm.FAST, seed.fast_fp32),
        (GraphForm.FAST_SKIP, last_skip_phase),
        (GraphForm.FAST_PHASE, lambda p: seed.transpose_edges(phase_upsamples(p, size_multiple))),
    ]


def _plain(exc: Exception, proto, say) -> tuple[Any, GraphForm]:
    """The plain graph, with a note. RewriteNotApplicable: another architecture. Anything else would be
    a bug in a rewrite; the plain graph is right either way (parity is checked after), only slower."""
    reason = str(exc) if isinstance(exc, RewriteNotApplicable) else f"fast graph failed ({type(exc).__name__}: {exc})"
    say(f"      {reason}; writing the plain graph")
    return proto, GraphForm.PLAIN
