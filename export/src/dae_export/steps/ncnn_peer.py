"""ncnn fp32 and int8 (`dae export --ncnn`): the engine Raspberry Pi guides recommend, as a peer for
`dae compare` (engine "ncnn"), never in the Pi bundle. From the export's plain graph (pnnx cannot take the
fast graph's DepthToSpace); int8 from the export's calibration digits (peers.ncnn_int8: PyPI only)."""

from __future__ import annotations

from dae_export.steps.base import ExportContext, ExportStep, OutputFile, StepResult

NCNN_FP32, NCNN_INT8 = "model.ncnn.param", "model.int8.ncnn.param"  # each with its .bin (the weights)


class NcnnStep(ExportStep):
    name, order = "ncnn", 40
    title = "ncnn fp32 and int8 (pnnx from the plain graph) and their checks"

    def selected(self, cfg) -> bool:
        return cfg.ncnn

    def preflight(self, cfg) -> None:
        from dae_export.peers.peer_tools import require

        require("--ncnn", ("ncnn", "pnnx"))

    def outputs(self, cfg) -> list[OutputFile]:
        return [
            OutputFile(NCNN_FP32, "ncnn", "fp32"), OutputFile(NCNN_FP32.replace(".param", ".bin")),
            OutputFile(NCNN_INT8, "ncnn", "int8"), OutputFile(NCNN_INT8.replace(".param", ".bin")),
        ]  # fmt: skip

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export.engines.ncnn_engine import ncnn_runner
        from dae_export.peers.ncnn_convert import to_ncnn, to_ncnn_int8
        from dae_export.peers.peer_checks import nchw_source, peer_metrics, run_checked

        shape = (1, 1, *ctx.val_noisy.shape[1:3])  # nchw_source's input
        fp32 = to_ncnn(nchw_source(ctx), shape, ctx.scratch / "ncnn", ctx.stage / NCNN_FP32)
        int8 = to_ncnn_int8(fp32, ctx.calib, ctx.stage / NCNN_INT8)
        outputs = [run_checked("ncnn", p, ncnn_runner, path, ctx.val_noisy) for p, path in (("fp32", fp32),
                   ("int8", int8))]  # fmt: skip
        return StepResult(metrics=peer_metrics(ctx, "ncnn", *outputs))
