"""`dae export`: prepare, run the selected steps (dae_export.steps), check, then publish.

Everything is written to a staging folder beside OUT first. Only when every file is
written and every check has passed does that folder take OUT's place, in one atomic swap
(dae_export.publish): a failing or killed export never leaves OUT half old, half new.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dae_export.config import GRAPHS, TARGETS, ExportConfig, ExportSummary
from dae_export.errors import ExportError
from dae_runtime.manifest import MANIFEST_FILE, sha256_file
from dae_runtime.noise import NoiseRange, NoiseSpec


def _export_noise(cfg: ExportConfig, trained_cfg: dict) -> tuple[dict, NoiseSpec | NoiseRange]:
    """The noise of calibration, checks and the golden set: --noise if given, else as trained.

    A blind-noise model (trained on a range) is calibrated and checked over its whole range;
    "level" is then the middle of the range, for readers that want one number.
    """
    kind = cfg.noise_kind or trained_cfg.get("noise_kind", "gaussian")
    low, high = trained_cfg.get("noise", 0.5), trained_cfg.get("noise_max")
    if cfg.noise is not None or high is None:
        level = cfg.noise if cfg.noise is not None else low
        return {"kind": kind, "level": level}, NoiseSpec(kind, level)
    blind = NoiseRange(kind, low, high)
    return {"kind": kind, "level": blind.level, "range": [low, high]}, blind


def _noisy_digits(cfg: ExportConfig, noise: NoiseSpec | NoiseRange, side: int):
    """Calibration and validation digits, padded with background to the model's input side if needed."""
    from dae_train.data import load_mnist

    splits = load_mnist(cfg.data)
    calib_clean = _pad_to(splits.train.as_float()[: cfg.calib_samples], side)
    val_clean = _pad_to(splits.validation.as_float(), side)
    calib = noise.apply(calib_clean, np.random.default_rng([cfg.seed, 1]))
    val_rng = np.random.default_rng([cfg.seed, 2])
    val = noise.apply_spread(val_clean, val_rng) if isinstance(noise, NoiseRange) else noise.apply(val_clean, val_rng)
    return calib, val, val_clean


def _pad_to(digits: np.ndarray, side: int) -> np.ndarray:
    """Centre (N, h, w, 1) digits on a black (N, side, side, 1) square; as they are if they fit already."""
    h, w = digits.shape[1:3]
    if (h, w) == (side, side):
        return digits
    top, left = (side - h) // 2, (side - w) // 2
    return np.pad(digits, ((0, 0), (top, side - h - top), (left, side - w - left), (0, 0)))


def _check_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ExportError(f"cannot write to {out}: {exc.strerror or exc}") from None


def _prepare(cfg: ExportConfig, step: Callable[[str], None]) -> dict:
    """Everything the steps share, made and checked before the first slow step: the model, its
    input spec (refuses unsupported pooling in one line), the noise and the digits."""
    from dae_export import metadata, publish
    from dae_export.model_shape import input_side
    from dae_train.evaluate import load_keras_model

    if cfg.target not in TARGETS:
        raise ExportError(f"unknown target {cfg.target!r}; choose one of {', '.join(TARGETS)}")
    if cfg.graph not in GRAPHS:
        raise ExportError(f"unknown graph {cfg.graph!r}; choose one of {', '.join(GRAPHS)}")
    source, out = Path(cfg.model), Path(cfg.out)
    model = load_keras_model(source)
    try:  # first: a killed earlier export may have left OUT's old export beside it (publish.py)
        publish.clean_leftovers(out.resolve())
    except OSError as exc:
        raise ExportError(f"cannot write beside {out}: {exc.strerror or exc}") from None
    _check_out(out)
    trained = _train_report(source)
    noise, noise_model = _export_noise(cfg, trained.get("config", {}))
    spec = metadata.input_spec(model)
    calib, val_noisy, val_clean = _noisy_digits(cfg, noise_model, input_side(model))
    return dict(
        cfg=cfg, model=model, spec=spec, noise=noise, noise_model=noise_model, calib=calib, val_noisy=val_noisy,
        val_clean=val_clean, source=source, source_sha=sha256_file(source), say=step,
        train_metrics={k: trained[k] for k in ("val_psnr_db", "val_ssim", "best_epoch") if k in trained},
    )  # fmt: skip


def run_export(cfg: ExportConfig, step: Callable[[str], None] = print) -> ExportSummary:
    """Run the selected export steps (dae_export.steps) in a staging folder, check, then publish to OUT."""
    from dae_export import publish
    from dae_export.steps import selected_steps

    started = time.perf_counter()
    for selected in selected_steps(cfg):  # a missing package is one line before anything slow
        selected.preflight(cfg)
    shared, out = _prepare(cfg, step), Path(cfg.out)
    try:
        stage = publish.new_stage(out.resolve())
    except OSError as exc:
        raise ExportError(f"cannot write beside {out}: {exc.strerror or exc}") from None
    try:
        summary = _run_steps(cfg, shared, stage)
        # Publish: every check passed. The user's own files in OUT go into the stage too, then the
        # stage and OUT trade places in one step; files of the earlier export stay behind with it.
        try:
            publish.carry_user_files(out, stage, _previous_export_files(out))
            old = publish.swap_into_place(stage, out.resolve())
        except OSError as exc:  # e.g. OUT is a mount point, or the disk filled while copying user files
            raise ExportError(f"cannot replace {out} ({exc.strerror or exc}); it was left as it was") from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        publish.release_stage(stage)
    publish.remove_old(old)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_steps(cfg: ExportConfig, shared: dict, stage: Path) -> ExportSummary:
    """Each selected step in order, its files checked after it; then the manifest from all results."""
    from types import MappingProxyType

    from dae_export import metadata
    from dae_export.manifest_sections import manifest_sections
    from dae_export.steps import ExportContext, StepResult, selected_steps

    steps = selected_steps(cfg)
    outputs = tuple(f for s in steps for f in s.outputs(cfg))
    _check_declared(list(outputs))
    results: dict[str, StepResult] = {}
    with tempfile.TemporaryDirectory(prefix="dae-export-scratch-") as scratch:
        ctx = ExportContext(**shared, stage=stage, scratch=Path(scratch), outputs=outputs,
                            results=MappingProxyType(results))  # fmt: skip
        written: list = []
        for i, s in enumerate(steps, 1):
            ctx.say(f"[{i}/{len(steps)}] {s.heading(ctx)}")
            results[s.name] = s.run(ctx)
            written += s.outputs(cfg)
            _check_written(stage, written, s.name)
        names = sorted(f.name for f in outputs)
        metadata.build_manifest(stage, names, {f.name: f.describe() for f in outputs},
                                **manifest_sections(ctx, list(results.values())))  # fmt: skip
    summary = ExportSummary(files={name: (stage / name).stat().st_size for name in sorted([*names, MANIFEST_FILE])})
    for result in results.values():
        summary.metrics.update(result.metrics)
        summary.nodes.update(result.nodes)
    return summary


def _check_declared(outputs: list) -> None:
    """Every declared file once, none named like the manifest, models with a known engine and precision."""
    from dae_runtime.bench.engines import PRECISIONS, engine_names

    names, engines = [f.name for f in outputs], tuple(engine_names())
    for f in outputs:
        if names.count(f.name) > 1 or f.name == MANIFEST_FILE or Path(f.name).name != f.name:
            raise ExportError(f"export steps declare {f.name!r} twice, or as a path or the manifest")
        if (f.engine is None) != (f.precision is None) or f.engine not in (None, *engines):
            raise ExportError(f"{f.name}: a model file needs an engine of {engines} and a precision of {PRECISIONS}")
        if f.precision not in (None, *PRECISIONS):
            raise ExportError(f"{f.name}: precision must be one of {PRECISIONS}")


def _check_written(stage: Path, outputs: list, step_name: str) -> None:
    """After each step: every file declared so far is in the stage, and nothing else."""
    declared = {f.name for f in outputs}
    present = {p.name for p in stage.iterdir()}
    if declared - present or present - declared:
        missing, extra = sorted(declared - present), sorted(present - declared)
        raise ExportError(f"export step {step_name}: files declared but not written {missing}, undeclared {extra}")


def _previous_export_files(out: Path) -> set[str]:
    """Files listed by the manifest of an earlier export in OUT (only plain names, never paths)."""
    try:
        files = json.loads((out / "manifest.json").read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in files if isinstance(name, str) and Path(name).name == name}


def _train_report(source: Path) -> dict:
    """The train_report.json next to the model, if there is a readable one."""
    try:
        report = json.loads(source.with_name("train_report.json").read_text())
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def format_summary(summary: ExportSummary, out: Path) -> str:
    lines = [f"Exported to {out} in {summary.seconds:.0f} s", "", "| file | bytes | nodes |", "|---|---:|---:|"]
    for name, size in summary.files.items():
        lines.append(f"| {name} | {size:,} | {summary.nodes.get(name, '')} |")
    lines += ["", "| model | PSNR dB | SSIM | max abs diff vs Keras |", "|---|---:|---:|---:|"]
    for name, m in summary.metrics.items():
        diff = f"{m['max_abs_diff_vs_keras']:.1e}" if "max_abs_diff_vs_keras" in m else "-"
        lines.append(f"| {name} | {m['psnr_db']:.2f} | {m['ssim']:.3f} | {diff} |")
    if "onnx_int8" in summary.metrics:
        m = summary.metrics["onnx_int8"]
        kept = ", ".join(m["float_nodes"]) or "none"
        lines.append(f"\nint8 PSNR loss vs fp32: {m['psnr_loss_vs_fp32_db']:.3f} dB; layers kept in float: {kept}")
    return "\n".join(lines)
