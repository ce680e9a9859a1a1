"""ncnn (Tencent), the engine Raspberry Pi guides recommend, as a `dae compare` engine and as the export's
ncnn step runs it for its parity check. Its model is a .param file (the graph, the path given here) and a .bin
file beside it (the weights); NCHW with one channel, so an (N, H, W, 1) batch is passed as it is in memory.

precision: fp32 (ncnn's fp16 storage and arithmetic off: ncnn turns them on by itself on CPUs that have them),
int8 (the int8 model, fp16 off), fp16 (ncnn's fp16 storage + arithmetic, where the CPU has it: the ARM cost
benchmark counts it on the Cortex-A76); a "-nowinograd" suffix turns off ncnn's Winograd 3x3 convolutions (what
they are worth, in benchmarks/arm_cost). Imports only numpy and ncnn: the emulated Pi of `make arm-cost` runs it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dae_runtime.bench.engines import Engine


def load_net(param: str | Path, precision: str = "fp32", threads: int | None = None):
    """An ncnn.Net with the model loaded and its options set for `precision`; ValueError if ncnn refuses it."""
    import ncnn

    net = ncnn.Net()
    precision, _, variant = precision.partition("-")
    fp16 = precision == "fp16"
    net.opt.num_threads = threads or os.cpu_count() or 1
    net.opt.use_winograd_convolution = variant != "nowinograd"
    net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = fp16
    net.opt.use_bf16_storage = False
    net.opt.use_int8_inference = precision == "int8"
    weights = Path(param).with_suffix(".bin")
    if net.load_param(str(param)) != 0 or net.load_model(str(weights)) != 0:
        raise ValueError(f"ncnn cannot load {Path(param).name} with {weights.name}")
    return net


def ncnn_runner(param: str | Path, precision: str = "fp32", threads: int | None = None):
    """(N, H, W, 1) or (N, H, W) float32 -> (N, H, W). ncnn has no batch dimension: a batch is one extractor
    per image, as ncnn's own examples do."""
    import ncnn

    net = load_net(param, precision, threads)
    name_in, name_out = net.input_names()[0], net.output_names()[0]

    def run(x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape[:3], np.float32)
        for i in range(len(x)):
            with net.create_extractor() as ex:
                ex.input(name_in, ncnn.Mat(np.ascontiguousarray(x[i].reshape(x.shape[1:3]), np.float32)))
                _, y = ex.extract(name_out)
            out[i] = np.asarray(y).reshape(x.shape[1:3])
        return out

    return run


def ncnn_engine(path: Path, precision: str = "fp32", threads: int | None = None) -> Engine:
    path = Path(path)
    return Engine("ncnn", precision, path, ncnn_runner(path, precision, threads), files=(path.with_suffix(".bin"),))
