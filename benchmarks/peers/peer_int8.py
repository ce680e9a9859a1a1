"""int8 models of the peers from the export's calibration digits (benchmarks/peers/convert.py).

ncnn, with ncnn's C++ tools (built from ncnn's source): ncnn2table (per-channel weight scales, activation
scales by KL divergence: ncnn's default method) on the digits saved as .npy (type=1: no image decoding, the
float digits as they are), then ncnn2int8. Without them: ncnn_int8_py (the same weight scales, activation
scales by min-max over the same digits; ncnn quantizes the weights itself at load time).
MNN: its calibration tool (`_tools.mnnquant`, the C++ code under the `mnnquant` wrapper) on the digits as
its "sequence" input, one text file per digit; feature method KL (MNN's default for images; EMA turns on
MNN's int8 Winograd, tried as a variant), weights MAX_ABS per channel.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from convert import run


def ncnn_int8(param: Path, calib: np.ndarray, tools: Path, out: Path, log: list, method: str = "kl") -> Path:
    folder = out / "calib_npy"
    folder.mkdir(exist_ok=True)
    paths = []
    for i, digit in enumerate(calib):
        paths.append(folder / f"{i:04d}.npy")
        np.save(paths[-1], np.ascontiguousarray(digit[..., 0][None], np.float32))  # (c=1, h, w)
    listing = out / "calib_npy.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    table, weights = out / "model.ncnn.table", param.with_suffix(".bin")
    run([tools / "ncnn2table", param, weights, listing, table, "shape=[28,28,1]", f"method={method}", "type=1",
         "thread=1"], log)  # fmt: skip
    dest = out / "model.ncnn.int8.param"
    run([tools / "ncnn2int8", param, weights, dest, dest.with_suffix(".bin"), table], log)
    return dest


def ncnn_int8_python(param: Path, calib: np.ndarray, out: Path, log: list) -> Path:
    from ncnn_int8_py import minmax_table, write_int8

    table = minmax_table(param, param.with_suffix(".bin"), calib)
    log.append("python: ncnn_int8_py.write_int8(model.ncnn.param, model.ncnn.bin, minmax_table(calibration digits))")
    return write_int8(param, param.with_suffix(".bin"), table, out / "model.ncnn.int8.param")


def mnn_int8(model: Path, calib: np.ndarray, out: Path, log: list, method: str = "KL") -> Path:
    folder = out / "calib_mnn"
    shape = [1, 1, *calib.shape[1:3]]
    for i, digit in enumerate(calib):
        sample = folder / f"{i:04d}"
        sample.mkdir(parents=True, exist_ok=True)
        (sample / "input.txt").write_text(" ".join(f"{v:.9g}" for v in digit.reshape(-1)) + "\n")
        (sample / "input.json").write_text(json.dumps({"inputs": [{"name": "input", "shape": shape}]}))
    config = out / f"mnnquant-{method}.json"
    config.write_text(json.dumps({
        "path": str(folder), "used_sample_num": len(calib), "input_type": "sequence",
        "feature_quantize_method": method, "weight_quantize_method": "MAX_ABS",
    }, indent=1))  # fmt: skip
    dest = out / ("model.int8.mnn" if method == "KL" else f"model.int8-{method}.mnn")
    code = "import sys, _tools; _tools.mnnquant(['mnnquant', *sys.argv[1:]])"  # argv, as the C++ tool
    run([sys.executable, "-c", code, model, dest, config], log)
    return dest
