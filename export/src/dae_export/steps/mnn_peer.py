"""MNN fp32 and int8 (`dae export --mnn`): the other common ARM engine, as a peer for `dae compare` (engine
"mnn"), never in the Pi bundle. From the export's plain graph, with MNN's C++ converter and quantizer
(peers.mnn_convert; never its console scripts, which phone home); int8 from the export's calibration digits."""

from __future__ import annotations

from dae_export.steps.base import ExportContext, ExportStep, OutputFile, StepResult

MNN_FP32, MNN_INT8 = "model.mnn", "model.int8.mnn"


class MnnStep(ExportStep):
    name, order = "mnn", 45
    title = "MNN fp32 and int8 (MNN's converter and mnnquant, from the plain graph) and their checks"

    def selected(self, cfg) -> bool:
        return cfg.mnn

    def preflight(self, cfg) -> None:
        from dae_export.peers.peer_tools import require

        require("--mnn", ("MNN",))

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(MNN_FP32, "mnn", "fp32"), OutputFile(MNN_INT8, "mnn", "int8")]

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export.engines.mnn_engine import mnn_runner
        from dae_export.peers.mnn_convert import to_mnn, to_mnn_int8
        from dae_export.peers.peer_checks import nchw_source, peer_metrics, run_checked

        work = ctx.scratch / "mnn"
        work.mkdir(exist_ok=True)
        fp32 = to_mnn(nchw_source(ctx), ctx.stage / MNN_FP32)
        int8 = to_mnn_int8(fp32, ctx.calib, work, ctx.stage / MNN_INT8)
        outputs = [run_checked("MNN", p, mnn_runner, path, ctx.val_noisy) for p, path in (("fp32", fp32),
                   ("int8", int8))]  # fmt: skip
        return StepResult(metrics=peer_metrics(ctx, "mnn", *outputs))
