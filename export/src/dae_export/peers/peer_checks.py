"""What every peer step shares: the graph the converters take, and the checks every peer model passes.

fp32 is held to Keras like the ONNX fp32 (max abs difference 1e-4 on the validation digits); int8 to the
same engine's fp32 like onnxruntime's int8 (PSNR loss at most ExportConfig.max_int8_loss_db). Outside
either, the export stops with one line (ExportError).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dae_export.errors import ExportError
from dae_export.parity import PARITY_TOLERANCE

if TYPE_CHECKING:
    from dae_export.steps.base import ExportContext

SOURCE = "peer-source.onnx"


def nchw_source(ctx: ExportContext) -> Path:
    """The export's plain fp32 graph with a fixed NCHW input of one digit (peers.nchw), in the scratch
    folder: made once per export, for every peer step."""
    import onnx

    from dae_export.peers.nchw import nchw_fixed

    path = ctx.scratch / SOURCE
    if not path.exists():
        height, width = ctx.val_noisy.shape[1:3]
        try:
            proto = nchw_fixed(ctx.plain_fp32(), batch=1, height=height, width=width)
        except ValueError as exc:
            raise ExportError(f"the peers' converters cannot take this model's graph: {exc}") from None
        onnx.save(proto, str(path))
    return path


def run_checked(engine: str, precision: str, runner, path: Path, x: np.ndarray) -> np.ndarray:
    """`runner(path, precision, threads=1)` on x, as (N, H, W, 1); a model the engine cannot load or run is one
    line. One thread: ncnn runs a batch as one call per image, where its threads cost more than they give."""
    try:
        return np.asarray(runner(path, precision, 1)(x), np.float32).reshape(x.shape)
    except Exception as exc:  # noqa: BLE001 - ncnn and MNN raise their own types (or RuntimeError)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExportError(f"{engine} could not run its {precision} model {path.name} ({reason})") from None


def peer_metrics(ctx: ExportContext, engine: str, fp32: np.ndarray, int8: np.ndarray) -> dict[str, dict]:
    """The manifest's figures of a peer's fp32 and int8 models on the validation digits, once both passed."""
    q32, q8 = ctx.quality(fp32), ctx.quality(int8)
    if not q32["max_abs_diff_vs_keras"] <= PARITY_TOLERANCE:  # not <=: NaN fails too
        raise ExportError(f"{engine} fp32 and Keras outputs differ by {q32['max_abs_diff_vs_keras']:.2e} "
                          f"(tolerance {PARITY_TOLERANCE:.0e}); export aborted")  # fmt: skip
    loss, limit = q32["psnr_db"] - q8["psnr_db"], ctx.cfg.max_int8_loss_db
    if not loss <= limit:
        raise ExportError(f"{engine} int8 loses {loss:.3f} dB PSNR against its fp32 (limit {limit} dB); export aborted")
    return {f"{engine}_fp32": q32, f"{engine}_int8": {**q8, "psnr_loss_vs_fp32_db": loss}}
