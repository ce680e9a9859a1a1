"""int8 static quantization with onnxruntime.quantization, calibrated on noisy training digits.

Choices (measured on this project's model, see benchmarks/README.md):
- QDQ format: onnxruntime's CPU kernels are tuned for it; QOperator with int8 activations
  was 4-6x slower than fp32 on the plain graph (QOperator u8s8 on the fast graph: the same speed).
- u8s8 (uint8 activations, int8 weights): onnxruntime's fast path on x86; s8s8 is offered for
  ARM cores, which onnxruntime's documentation says often prefer symmetric activations.
- reduce_range (7-bit weights) for u8s8: x86 CPUs without VNNI (AVX2 only) multiply u8 x s8 with
  VPMADDUBSW, which saturates the int16 sum of each product pair; onnxruntime's documentation
  names reduce_range as the remedy. Measured 2026-11-26 on an AMD EPYC (AVX2, no VNNI), shipped
  seed model, 500 validation digits: loss vs fp32 0.353 dB with 8-bit weights, 0.041 dB with
  7-bit. On a VNNI CPU the 8-bit weights lost 0.011 dB: an int8 model must not depend on the CPU
  it happens to be exported on. s8s8 runs as u8s8 on x86 (same 0.353 dB) and is meant for ARM,
  which accumulates without saturation, so it keeps 8-bit weights.
- per-channel weights: cut the PSNR loss from 0.009 dB to 0.0001 dB at no speed cost.
- MinMax calibration: as good as entropy here, and accepts batches of any shape.
Accuracy gate: if int8 loses more than `max_psnr_loss_db` against fp32, the most sensitive
layers (last, then first Conv) are kept in float, and the exclusions are reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dae_export.config import INPUT_NAME, INT8_TYPES
from dae_export.errors import ExportError


@dataclass
class Int8Result:
    psnr_fp32_db: float
    psnr_int8_db: float
    excluded_nodes: list[str] = field(default_factory=list)
    types: str = "u8s8"

    @property
    def psnr_loss_db(self) -> float:
        return self.psnr_fp32_db - self.psnr_int8_db


class _Calibration:
    """onnxruntime CalibrationDataReader over fixed-size batches of noisy digits."""

    def __init__(self, noisy: np.ndarray, batch: int = 64):
        self.noisy, self.batch, self.i = noisy, batch, 0

    def get_next(self):
        if self.i >= len(self.noisy):
            return None
        x = self.noisy[self.i : self.i + self.batch]
        self.i += self.batch
        return {INPUT_NAME: np.ascontiguousarray(x, np.float32)}

    def rewind(self) -> None:
        self.i = 0


def quantize(fp32_path: Path, out_path: Path, calib_noisy: np.ndarray, types: str, exclude: list[str]) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if types not in INT8_TYPES:
        raise ExportError(f"int8 types must be one of {', '.join(INT8_TYPES)}")

    class Reader(_Calibration, CalibrationDataReader):
        pass

    pre = out_path.with_name(out_path.stem + ".pre.onnx")
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the quantizer logs one line per tensor it skips
    try:
        # Symbolic shape inference needs sympy; onnx's own shape inference covers this graph.
        quant_pre_process(str(fp32_path), str(pre), skip_symbolic_shape=True)
        quantize_static(
            str(pre),
            str(out_path),
            Reader(calib_noisy),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8 if types == "u8s8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=types == "u8s8",  # see the module docstring: AVX2 saturation
            calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=exclude,
        )
    finally:
        quiet.setLevel(level)
        pre.unlink(missing_ok=True)


def _save_rewritten(path: Path) -> None:
    import onnx

    from dae_export.rewrites.seed import dequantize_last

    onnx.save(dequantize_last(onnx.load(str(path))), str(path))


def sensitive_layers(source: Path) -> list[list[str]]:
    """Exclusion sets to try, in order: none, the last Conv, the last and first Conv."""
    import onnx

    convs = [n.name for n in onnx.load(str(source)).graph.node if n.op_type == "Conv"]
    return [[], convs[-1:], [convs[0], convs[-1]]]


def _int8_source(fp32_path: Path, out_path: Path, fast: bool, columns: int = 4, size_multiple: int = 4) -> Path:
    """The graph to quantize: the fp32 model, or with its int8 layout rewrites: the first conv + pool
    in phase form (rewrites.seed.column_phase_encoder), DepthToSpace(2) and SpaceToDepth(2) as layout
    nodes (rewrites.phases.depth_to_space_as_layout, rewrites.phase_space.space_to_depth_as_layout),
    each where it applies."""
    import onnx

    from dae_export.rewrites.phase_space import layout_facts, space_to_depth_as_layout
    from dae_export.rewrites.phases import depth_to_space_as_layout
    from dae_export.rewrites.seed import column_phase_encoder

    if not fast:
        return fp32_path
    source = onnx.load(str(fp32_path))
    facts = layout_facts(source)  # before the DepthToSpace edit: its Reshapes end a size trace
    rewrites = [depth_to_space_as_layout, lambda p: space_to_depth_as_layout(p, facts)]
    if size_multiple % columns == 0:  # the column head reads `columns` pixels as channels: widths must divide
        rewrites.append(lambda p: column_phase_encoder(p, columns))
    for rewrite in rewrites:
        try:
            source = rewrite(source)
        except Exception:  # noqa: BLE001 - not this model's layers (or a rewrite bug): quantize without it
            pass
    path = out_path.with_name(out_path.stem + ".source.onnx")
    onnx.save(source, str(path))
    return path


def quantize_with_gate(
    fp32_path: Path,
    out_path: Path,
    calib_noisy: np.ndarray,
    val_noisy: np.ndarray,
    val_clean: np.ndarray,
    max_psnr_loss_db: float = 0.2,
    types: str = "u8s8",
    fast: bool = False,
    encoder_columns: int = 4,
    size_multiple: int = 4,
) -> Int8Result:
    """Quantize, check PSNR against fp32 on validation digits, keep sensitive layers in float if needed.

    fast: the int8 form of the fast graph (dae_export.rewrites.seed): quantize with the first conv +
    pool in phase form for onnxruntime's fast int8 conv kernel, then dequantize after the output's
    layout nodes. The function is the same. encoder_columns: 4 (x86) or 2 (ARM), see
    rewrites.seed.column_phase_encoder, used only if every frame width the metadata allows (a multiple of
    `size_multiple`) is a multiple of it."""
    from dae_export.parity import run_onnx
    from dae_runtime.metrics import psnr

    fp32_psnr = psnr(run_onnx(fp32_path, val_noisy), val_clean)
    result = None
    source = _int8_source(fp32_path, out_path, fast, encoder_columns, size_multiple)
    try:
        for exclude in sensitive_layers(source):
            quantize(source, out_path, calib_noisy, types, exclude)
            if fast:
                _save_rewritten(out_path)
            out = run_onnx(out_path, val_noisy)
            if not np.isfinite(out).all() or out.max() <= 0.0:
                raise ExportError("the int8 model produced empty or non-finite outputs")
            result = Int8Result(fp32_psnr, psnr(out, val_clean), exclude, types)
            if result.psnr_loss_db <= max_psnr_loss_db:
                return result
    finally:
        if source != fp32_path:
            source.unlink(missing_ok=True)
    out_path.unlink(missing_ok=True)
    assert result is not None  # sensitive_layers yields at least one candidate
    raise ExportError(
        f"int8 loses {result.psnr_loss_db:.2f} dB PSNR against fp32 even with {result.excluded_nodes} in float "
        f"(limit {max_psnr_loss_db} dB); more calibration digits (--calib-samples) may help"
    )
