"""ONNX -> MNN and MNN int8, with MNN's C++ tools (`_tools.mnnconvert`, `_tools.mnnquant`) in a process.

int8: mnnquant on the calibration digits as its "sequence" input (one text file of floats per digit, with
the input's name and NCHW shape), activations by KL divergence (MNN's default for images), weights MAX_ABS
per channel. mnnquant writes a .json of its scales beside its output, so it writes into `work`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dae_export.config import INPUT_NAME
from dae_export.peers.peer_tools import mnn_tool, run_tool


def to_mnn(source: Path, dest: Path) -> Path:
    args = ["-f", "ONNX", "--modelFile", str(source), "--MNNModel", str(dest), "--bizCode", "dae-edge"]
    run_tool("MNN's converter (ONNX to MNN)", mnn_tool("mnnconvert", args), made=dest)
    return dest


def to_mnn_int8(model: Path, calib: np.ndarray, work: Path, dest: Path) -> Path:
    digits = work / "calibration"
    shape = [1, 1, *calib.shape[1:3]]
    for i, digit in enumerate(calib):
        sample = digits / f"{i:04d}"
        sample.mkdir(parents=True, exist_ok=True)
        (sample / "input.txt").write_text(" ".join(f"{v:.9g}" for v in digit.reshape(-1)) + "\n")
        (sample / "input.json").write_text(json.dumps({"inputs": [{"name": INPUT_NAME, "shape": shape}]}))
    config = work / "mnnquant.json"
    config.write_text(json.dumps({
        "path": str(digits), "used_sample_num": len(calib), "input_type": "sequence",
        "feature_quantize_method": "KL", "weight_quantize_method": "MAX_ABS",
    }))  # fmt: skip
    made = work / dest.name
    run_tool("MNN's quantizer (mnnquant)", mnn_tool("mnnquant", [str(model), str(made), str(config)]), made=made)
    made.replace(dest)
    return dest
