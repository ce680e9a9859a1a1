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
        for name, (precision, key) in TFLITE_FILES.items():
            calibration = ctx.calib if precision == "int8" else None
            (ctx.stage / name).write_bytes(convert_tflite(ctx.model, calibration))
            result.metrics[key] = ctx.quality(run_tflite(ctx.stage / name, ctx.val_noisy))
        return result
