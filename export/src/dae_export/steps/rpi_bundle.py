"""The Raspberry Pi bundle: every declared file marked in_bundle (in its ARM form where the ARM forms
step wrote one), the bundle-only files a step describes (the int8 form for CPUs with a dot product),
the runtime wheel, requirements and the bundle's own manifest."""

from __future__ import annotations

from pathlib import Path

from dae_export.steps.base import ExportContext, ExportStep, OutputFile, StepResult

BUNDLE = "rpi-bundle.tar.gz"


class RpiBundleStep(ExportStep):
    name, order = "rpi-bundle", 90
    title = "Raspberry Pi bundle (ARM forms of the models, golden set, runtime wheel, requirements)"

    def selected(self, cfg) -> bool:
        return cfg.target == "rpi"

    def outputs(self, cfg) -> list[OutputFile]:
        return [OutputFile(BUNDLE)]

    def run(self, ctx: ExportContext) -> StepResult:
        from dae_export import bundle
        from dae_export.manifest_sections import manifest_sections

        carried = [f for f in ctx.outputs if f.in_bundle]
        own = {name: path for r in ctx.results.values() for name, path in r.bundle_files.items()}
        extra = {name: d for r in ctx.results.values() for name, d in r.bundle_described.items() if name in own}
        files = [own.get(f.name, ctx.stage / f.name) for f in carried] + [own[name] for name in extra]
        described = {f.name: f.describe() for f in carried} | extra
        sections = manifest_sections(ctx, list(ctx.results.values()), for_bundle=True)
        wheel = Path(ctx.cfg.runtime_wheel) if ctx.cfg.runtime_wheel else None
        bundle.write_bundle(ctx.stage / BUNDLE, files, sections, wheel, described)
        return StepResult()
