"""ONNX -> ncnn (pnnx's binary), and ncnn int8 from calibration digits (ncnn_int8: PyPI only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dae_export.errors import ExportError
from dae_export.peers.peer_tools import pnnx_binary, run_tool


def to_ncnn(source: Path, shape: tuple[int, ...], work: Path, dest: Path) -> Path:
    """The ONNX `source` (input `shape`, fixed NCHW) as ncnn's dest (.param) and its .bin beside it. pnnx
    writes several files beside its input (its own format, Python scripts), so it runs in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "model.onnx").write_bytes(source.read_bytes())
    made, dims = work / "model.ncnn.param", ",".join(map(str, shape))
    run_tool("pnnx (ONNX to ncnn)", [str(pnnx_binary()), "model.onnx", f"inputshape=[{dims}]", "fp16=0"], cwd=work,
             made=made)  # fmt: skip
    made.replace(dest)
    (work / "model.ncnn.bin").replace(dest.with_suffix(".bin"))
    return dest


def to_ncnn_int8(param: Path, calib: np.ndarray, dest: Path) -> Path:
    """ncnn int8 of the fp32 model `param`: min-max input scales over `calib`, ncnn2table's weight scales."""
    from dae_export.peers.ncnn_int8 import minmax_table, write_int8

    try:
        table = minmax_table(param, param.with_suffix(".bin"), calib)
        return write_int8(param, param.with_suffix(".bin"), table, dest)
    except ValueError as exc:  # a layer ncnn_int8 does not rewrite, or a model ncnn cannot load
        raise ExportError(f"ncnn int8: {exc}") from None
