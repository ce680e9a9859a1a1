"""Parity of the peers' models on the export's validation digits (benchmarks/peers/convert.py): fp32 against
Keras (max |diff|, the export's 1e-4), int8 against the same engine's fp32 (PSNR loss, the export's 0.2 dB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FP32_GATE, INT8_GATE_DB = 1e-4, 0.2


def outputs(models: dict[tuple[str, str], Path], noisy: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    from dae_export.engines.mnn_engine import mnn_runner
    from dae_export.engines.ncnn_engine import ncnn_runner

    runners = {"ncnn": ncnn_runner, "mnn": mnn_runner}
    return {(e, p): runners[e](path, p, 1)(noisy) for (e, p), path in models.items()}


def check_all(models: dict[tuple[str, str], Path], digits: dict[str, np.ndarray]) -> dict[str, dict]:
    from dae_runtime.metrics import psnr

    outs = outputs(models, digits["val_noisy"])
    clean, keras = digits["val_clean"], digits["keras"][..., 0]
    checks = {}
    for (engine, precision), y in outs.items():
        c = {"psnr_db": psnr(y[..., None], clean)}
        if precision == "fp32":
            c["max_abs_diff_vs_keras"] = float(np.abs(y - keras).max())
            c["ok"] = c["max_abs_diff_vs_keras"] <= FP32_GATE
        else:
            fp32 = outs.get((engine, "fp32"))
            c["psnr_loss_vs_fp32_db"] = psnr(fp32[..., None], clean) - c["psnr_db"] if fp32 is not None else None
            c["ok"] = c["psnr_loss_vs_fp32_db"] is not None and c["psnr_loss_vs_fp32_db"] <= INT8_GATE_DB
        checks[f"{engine}:{precision}"] = c
    return checks
