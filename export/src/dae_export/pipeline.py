"""`dae export` as one function: convert, check, quantize, describe, bundle; then publish.

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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from dae_export.onnx_fp32 import ExportError
from dae_runtime.manifest import sha256_file
from dae_runtime.metrics import psnr, ssim
from dae_runtime.noise import NoiseRange, NoiseSpec

TARGETS = ("none", "rpi")
GRAPHS = ("fast", "plain")


@dataclass
class ExportConfig:
    model: str  # trained Keras model (.keras)
    out: str  # output folder; existing files are replaced only when the export succeeds
    opset: int = 17  # ONNX opset; tf2onnx 1.17 emits up to 18, higher goes through onnx's converter
    graph: str = "fast"  # fast: exact rewrite onnxruntime runs fastest (dae_export.fast_graph); plain: tf2onnx's
    int8: bool = False  # also write model.int8.onnx (static QDQ quantization)
    int8_types: str = "u8s8"  # u8s8: x86 fast path (default); s8s8: symmetric, for ARM kernels
    calib_samples: int = 512  # noisy training digits used to calibrate int8
    max_int8_loss_db: float = 0.2  # accuracy gate: int8 PSNR loss against fp32 on validation digits
    tflite: bool = False  # also write model.tflite and model.int8.tflite
    target: str = "none"  # rpi: also write rpi-bundle.tar.gz
    data: str = "builtin"  # digits for calibration, validation and the golden set
    noise_kind: str | None = None  # default: the noise the model was trained on (train_report.json)
    noise: float | None = None
    parity_samples: int = 512  # noisy digits for the Keras-vs-ONNX check (plus a batch of odd frames)
    golden_samples: int = 256  # digits stored in golden.npz
    runtime_wheel: str | None = None  # prebuilt runtime wheel for the bundle (default: build from checkout)
    seed: int = 0


@dataclass
class ExportSummary:
    files: dict[str, int] = field(default_factory=dict)  # name -> bytes
    nodes: dict[str, int] = field(default_factory=dict)  # ONNX model -> node count
    metrics: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0


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


def _noisy_digits(cfg: ExportConfig, noise: NoiseSpec | NoiseRange):
    from dae_train.data import load_mnist

    splits = load_mnist(cfg.data)
    calib_clean = splits.train.as_float()[: cfg.calib_samples]
    val_clean = splits.validation.as_float()
    calib = noise.apply(calib_clean, np.random.default_rng([cfg.seed, 1]))
    val_rng = np.random.default_rng([cfg.seed, 2])
    val = noise.apply_spread(val_clean, val_rng) if isinstance(noise, NoiseRange) else noise.apply(val_clean, val_rng)
    return calib, val, val_clean


def _check_out(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ExportError(f"cannot write to {out}: {exc.strerror or exc}") from None


def run_export(cfg: ExportConfig, step: Callable[[str], None] = print) -> ExportSummary:
    from dae_export import bundle, fast_graph, metadata, publish, quantize
    from dae_export.onnx_fp32 import convert_fp32
    from dae_export.parity import check_parity, run_keras, run_onnx
    from dae_train.evaluate import load_keras_model

    started = time.perf_counter()
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
    train_metrics = {k: trained[k] for k in ("val_psnr_db", "val_ssim", "best_epoch") if k in trained}
    trained_cfg = trained.get("config", {})
    noise, noise_model = _export_noise(cfg, trained_cfg)
    calib, val_noisy, val_clean = _noisy_digits(cfg, noise_model)
    source_sha = sha256_file(source)
    spec = metadata.input_spec(model)  # before the slow steps: refuses unsupported pooling in one line
    summary = ExportSummary()
    steps = 2 + cfg.int8 + cfg.tflite + (cfg.target == "rpi")
    n = iter(range(1, steps + 1))

    try:
        stage = publish.new_stage(out.resolve())
    except OSError as exc:
        raise ExportError(f"cannot write beside {out}: {exc.strerror or exc}") from None
    try:
        step(f"[{next(n)}/{steps}] fp32 ONNX (tf2onnx, opset {cfg.opset}, {cfg.graph} graph) and parity with Keras")
        proto = convert_fp32(model, cfg.opset)
        form = cfg.graph
        if form == "fast":
            try:
                proto = fast_graph.fast_fp32(proto)
            except Exception as exc:  # noqa: BLE001 - an optional speed-up must not block an export
                # ExportError: another architecture. Anything else would be a bug in the rewrite;
                # the plain graph is right either way (parity is checked below), only slower.
                reason = (
                    str(exc) if isinstance(exc, ExportError) else f"fast graph failed ({type(exc).__name__}: {exc})"
                )
                step(f"      {reason}; writing the plain graph")
                form = "plain"
        metadata.set_onnx_metadata(proto, "fp32", noise, train_metrics, source_sha, spec)
        _save(proto, stage / "model.onnx")
        odd_frames = np.random.default_rng(cfg.seed).random((3, 56, 84, 1), dtype=np.float32)
        diff = check_parity(stage / "model.onnx", model, [val_noisy[: cfg.parity_samples], odd_frames])
        keras_val = run_keras(model, val_noisy)
        fp32_val = run_onnx(stage / "model.onnx", val_noisy)
        summary.nodes["model.onnx"] = len(proto.graph.node)
        summary.metrics["keras"] = _quality(keras_val, val_clean)
        summary.metrics["onnx_fp32"] = {**_quality(fp32_val, val_clean), "max_abs_diff_vs_keras": diff}

        if cfg.int8:
            step(f"[{next(n)}/{steps}] int8 ONNX ({cfg.int8_types}, QDQ, per-channel) on {len(calib)} digits")
            result = quantize.quantize_with_gate(
                stage / "model.onnx", stage / "model.int8.onnx", calib, val_noisy, val_clean,
                cfg.max_int8_loss_db, cfg.int8_types, fast=form == "fast",
            )  # fmt: skip
            import onnx

            q = onnx.load(str(stage / "model.int8.onnx"))
            metadata.set_onnx_metadata(q, "int8", noise, train_metrics, source_sha, spec)
            _save(q, stage / "model.int8.onnx")
            int8_val = run_onnx(stage / "model.int8.onnx", val_noisy)
            summary.nodes["model.int8.onnx"] = len(q.graph.node)
            summary.metrics["onnx_int8"] = {
                **_quality(int8_val, val_clean),
                "max_abs_diff_vs_keras": float(np.abs(int8_val - keras_val).max()),
                "psnr_loss_vs_fp32_db": result.psnr_loss_db,
                "types": result.types,
                "float_nodes": result.excluded_nodes,
            }

        if cfg.tflite:
            from dae_export.tflite import convert_tflite, run_tflite

            step(f"[{next(n)}/{steps}] TFLite fp32 and full-integer int8 (SavedModel route)")
            for name, calibration in (("model.tflite", None), ("model.int8.tflite", calib)):
                (stage / name).write_bytes(convert_tflite(model, calibration))
                y = run_tflite(stage / name, val_noisy)
                key = "tflite_int8" if calibration is not None else "tflite_fp32"
                summary.metrics[key] = {
                    **_quality(y, val_clean),
                    "max_abs_diff_vs_keras": float(np.abs(y - keras_val).max()),
                }

        step(f"[{next(n)}/{steps}] golden set and manifest")
        # Spread over the validation set (it is ordered by class), so every digit class is in it.
        pick = np.linspace(0, len(val_noisy) - 1, min(cfg.golden_samples, len(val_noisy))).astype(int)
        metadata.write_golden(stage / "golden.npz", val_noisy[pick], val_clean[pick], keras_val[pick], noise)
        sections = {
            "input": spec,
            "noise": noise,
            "metrics": {"validation_digits": len(val_noisy), "train": train_metrics, **summary.metrics},
            "graph": {"form": form, "nodes": summary.nodes, "opset": cfg.opset},
            "source_model": {"name": source.name, "sha256": source_sha},
            "export_config": {k: v for k, v in asdict(cfg).items() if k not in ("model", "out")},
        }
        if cfg.target == "rpi":
            step(f"[{next(n)}/{steps}] Raspberry Pi bundle (models, golden set, runtime wheel, requirements)")
            models = [stage / f for f in ("model.onnx", "model.int8.onnx", "golden.npz") if (stage / f).exists()]
            wheel = Path(cfg.runtime_wheel) if cfg.runtime_wheel else None
            bundle.write_bundle(stage / "rpi-bundle.tar.gz", models, sections, wheel)
        metadata.build_manifest(stage, sorted(p.name for p in stage.iterdir()), **sections)

        # Publish: every check passed. The user's own files in OUT go into the stage too, then the
        # stage and OUT trade places in one step; files of the earlier export stay behind with it.
        summary.files = {f.name: f.stat().st_size for f in sorted(stage.iterdir())}
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


def _previous_export_files(out: Path) -> set[str]:
    """Files listed by the manifest of an earlier export in OUT (only plain names, never paths)."""
    try:
        files = json.loads((out / "manifest.json").read_text()).get("files", {})
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in files if isinstance(name, str) and Path(name).name == name}


def _save(proto, path: Path) -> None:
    import onnx

    onnx.save(proto, str(path))


def _quality(pred: np.ndarray, clean: np.ndarray) -> dict:
    return {"psnr_db": psnr(pred, clean), "ssim": ssim(pred, clean)}


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
