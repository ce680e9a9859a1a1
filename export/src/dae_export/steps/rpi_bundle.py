"""The Raspberry Pi bundle: every declared file marked in_bundle, the runtime wheel, requirements."""

from __future__ import annotations

from pathlib import Path

from dae_export.steps.base import ExportContext, ExportStep, OutputFile

BUNDLE = "rpi-bundle.tar.gz"


class RpiBundleStep(ExportStep):
    name, order = "rpi-bundle", 90
    title = "Raspberry Pi bundle (ARM forms of the models, golden set, runtime wheel, requirements)"

    def selected(self, cfg) -> bool:
        return cfg.target == "rpi"

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(BUNDLE)]

    def run(self, ctx: ExportContext) -> None:
        import tempfile

        from dae_export import bundle
        from dae_export.arm_forms import write_arm_models

        carried = [f for f in ctx.outputs if f.in_bundle]
        wheel = Path(ctx.cfg.runtime_wheel) if ctx.cfg.runtime_wheel else None
        described = {f.name: f.describe() for f in carried}
        # The ONNX models as the ARM forms (dae_export.arm_forms); the stage's files stay the x86 forms.
        with tempfile.TemporaryDirectory(prefix="dae-arm-") as tmp:
            arm, sections = write_arm_models(ctx, Path(tmp))
            files = [arm.get(f.name, ctx.stage / f.name) for f in carried]
            bundle.write_bundle(ctx.stage / BUNDLE, files, sections, wheel, described)
