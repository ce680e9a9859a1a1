"""MNN (Alibaba), the other common ARM engine, as a `dae compare` engine and as the export's MNN step runs it
for its parity check: its Module API (MNN.nn, the one its Python documentation uses) on the .mnn file, whose
input is NCHW with one channel, so an (N, H, W, 1) batch is passed as it is in memory. MNN resizes the model
to the batch's shape by itself.

precision: fp32 and int8 (the model file decides) run with MNN's precision "normal"; fp16 with "low" (MNN's
fp16 arithmetic, where the CPU has it: the ARM cost benchmark counts it on the Cortex-A76). Imports only
numpy and MNN: the emulated Pi of `make arm-cost` runs it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from dae_runtime.bench.engines import Engine


def import_mnn():
    """MNN, imported without its C++ start-up line ("The device supports: ..."), which it prints on stdout,
    where it would break `dae compare --json -`."""
    if "MNN" in sys.modules:
        return sys.modules["MNN"]
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        import MNN
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    return MNN


def mnn_runner(path: str | Path, precision: str = "fp32", threads: int | None = None):
    """(N, H, W, 1) or (N, H, W) float32 -> (N, H, W)."""
    mnn = import_mnn()
    nn, F = mnn.nn, mnn.expr
    config = {"backend": "CPU", "numThread": threads or os.cpu_count() or 1,
              "precision": "low" if precision == "fp16" else "normal"}  # fmt: skip
    runtime = nn.create_runtime_manager((config,))
    module = nn.load_module_from_file(str(path), [], [], runtime_manager=runtime, shape_mutable=True)
    if module is None:
        raise ValueError(f"MNN cannot load {Path(path).name}")

    def run(x: np.ndarray) -> np.ndarray:
        n, h, w = x.shape[:3]
        var = F.const(np.ascontiguousarray(x, np.float32).reshape(n, 1, h, w), [n, 1, h, w], F.NCHW)
        y = module.forward(var)
        # read() can alias the module's own output buffer, which the next call reuses: copy
        return np.array(F.convert(y, F.NCHW).read(), np.float32).reshape(n, h, w)

    return run


def mnn_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    return Engine("mnn", precision, Path(path), mnn_runner(path, precision, threads))
