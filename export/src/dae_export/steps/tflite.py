"""TFLite fp32 and full-integer int8 (float I/O): the edge peer the ONNX models are measured against."""

from __future__ import annotations

from dae_export.steps.base import ExportContext, ExportStep, OutputFile, StepResult

TFLITE_FILES = {"model.tflite": ("fp32", "tflite_fp32"), "model.int8.tflite": ("int8", "tflite_int8")}


class TfliteStep(ExportStep):
    name, order = "tflite", 30
    title = "TFLite fp32 and full-integer int8 (SavedModel route)"

    def selected(self, cfg) -> bool:
        return cfg.tflite

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(name, "tflite", precision) for name, (precision, _) in TFLITE_FILES.items()]

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export.keras_to_tflite import convert_tflite, run_tflite

        result = StepResult()
        calibrations = [ctx.calib if precision == "int8" else None for precision, _ in TFLITE_FILES.values()]
        for (name, (_, key)), model in zip(TFLITE_FILES.items(), convert_tflite(ctx.model, calibrations), strict=True):
            (ctx.stage / name).write_bytes(model)
            result.metrics[key] = ctx.quality(run_tflite(ctx.stage / name, ctx.val_noisy))
        return result
