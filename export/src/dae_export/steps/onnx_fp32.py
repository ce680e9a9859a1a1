"""fp32 ONNX through tf2onnx (fast or plain graph), checked against Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from dae_export.steps.base import ExportContext, ExportStep, OutputFile

FP32_ONNX = "model.onnx"


class OnnxFp32Step(ExportStep):
    name, order = "onnx-fp32", 10

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(FP32_ONNX, "onnxruntime", "fp32", in_bundle=True)]

    def heading(self, ctx: ExportContext) -> str:
        return f"fp32 ONNX (tf2onnx, opset {ctx.cfg.opset}, {ctx.cfg.graph} graph) and parity with Keras"

    def run(self, ctx: ExportContext) -> None:
        import onnx

        from dae_export import metadata, parity
        from dae_export.onnx_fp32 import convert_fp32

        cfg, path = ctx.cfg, ctx.stage / FP32_ONNX
        proto, ctx.form = _fast_or_plain(
            convert_fp32(ctx.model, cfg.opset), cfg.graph, ctx.say, ctx.spec["size_multiple"]
        )
        metadata.set_onnx_metadata(proto, "fp32", ctx.noise, ctx.train_metrics, ctx.source_sha, ctx.spec)
        onnx.save(proto, str(path))
        m = ctx.spec["size_multiple"]  # frames other than digits: 56x84 for the seed's multiple 4
        odd_frames = np.random.default_rng(cfg.seed).random((3, 14 * m, 21 * m, 1), dtype=np.float32)
        diff = parity.check_parity(path, ctx.model, [ctx.val_noisy[: cfg.parity_samples], odd_frames])
        ctx.summary.nodes[FP32_ONNX] = len(proto.graph.node)
        ctx.summary.metrics["keras"] = ctx.quality(ctx.keras_val, vs_keras=False)
        fp32_val = parity.run_onnx(path, ctx.val_noisy)
        ctx.summary.metrics["onnx_fp32"] = {**ctx.quality(fp32_val, vs_keras=False), "max_abs_diff_vs_keras": diff}


def _fast_or_plain(proto, graph: str, say, size_multiple: int | None = None) -> tuple[Any, str]:
    """The first fast form whose rewrite applies; else the plain graph, with a note saying why.
    size_multiple: the model's, for rewrites that need even map sides (None: those are not used)."""
    from dae_export.onnx_fp32 import ExportError

    if graph != "fast":
        return proto, graph
    reason: Exception = ExportError("fast graph: no rewrite applies")
    for form, rewrite in _fast_forms(size_multiple):
        try:
            return rewrite(proto), form
        except ExportError as exc:  # not this form's architecture: try the next
            reason = exc
        except Exception as exc:  # noqa: BLE001 - an optional speed-up must not block an export
            return _plain(exc, proto, say)
    return _plain(reason, proto, say)


def _fast_forms(size_multiple: int | None) -> list[tuple[str, Any]]:
    """(form, rewrite), most specific first: the seed's, seed-skip's, then any upsampling decoder's."""
    from dae_export import fast_graph
    from dae_export.fast_graph_phases import phase_upsamples
    from dae_export.fast_graph_skips import last_skip_phase

    return [
        ("fast", fast_graph.fast_fp32),
        ("fast-skip", last_skip_phase),
        ("fast-phase", lambda p: fast_graph.transpose_edges(phase_upsamples(p, size_multiple))),
    ]


def _plain(exc: Exception, proto, say) -> tuple[Any, str]:
    """The plain graph, with a note. ExportError: another architecture. Anything else would be a bug
    in a rewrite; the plain graph is right either way (parity is checked after), only slower."""
    from dae_export.onnx_fp32 import ExportError

    reason = str(exc) if isinstance(exc, ExportError) else f"fast graph failed ({type(exc).__name__}: {exc})"
    say(f"      {reason}; writing the plain graph")
    return proto, "plain"
