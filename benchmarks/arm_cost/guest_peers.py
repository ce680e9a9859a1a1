"""The peers of the Pi bundle that guest_count.py runs besides onnxruntime and LiteRT: ncnn and MNN, called
from Python the way a Pi user would call them (one thread), on (N, 28, 28, 1) float32 digits, returning
(N, 28, 28). Their models come from benchmarks/peers/convert.py (NCHW, one channel: the NHWC input is the
same memory). Imported inside the emulated root only, where the optional peers are installed.

precision, as the model list names it: fp32 (fp16 arithmetic off, also on CPUs that have it), fp16 (ncnn's
fp16 storage + arithmetic, MNN's precision low: both fall back to fp32 on a CPU without FP16 arithmetic,
so fp16 is counted on the Cortex-A76 only), int8 (the int8 model files, fp16 off). A "-nowinograd" suffix
(ncnn) turns off ncnn's Winograd 3x3 convolutions, to show what they are worth.
"""

from __future__ import annotations

import numpy as np


def ncnn_runner(path: str, precision: str):
    """ncnn has no batch dimension: a batch is one extractor per image, as ncnn's own examples do."""
    import ncnn

    net = ncnn.Net()
    precision, _, variant = precision.partition("-")
    net.opt.use_winograd_convolution = variant != "nowinograd"
    fp16 = precision == "fp16"
    net.opt.num_threads = 1
    net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = fp16
    net.opt.use_bf16_storage = False
    net.opt.use_int8_inference = precision == "int8"
    if net.load_param(path) != 0 or net.load_model(path.removesuffix(".param") + ".bin") != 0:
        raise RuntimeError(f"ncnn cannot load {path}")
    name_in, name_out = net.input_names()[0], net.output_names()[0]

    def run(x: np.ndarray) -> np.ndarray:
        out = np.empty(x.shape[:3], np.float32)
        for i in range(len(x)):
            with net.create_extractor() as ex:
                ex.input(name_in, ncnn.Mat(np.ascontiguousarray(x[i, :, :, 0], np.float32)))
                _, y = ex.extract(name_out)
            out[i] = np.asarray(y).reshape(x.shape[1:3])
        return out

    return run


def mnn_runner(path: str, precision: str):
    """MNN's Module API (MNN.nn), the one its Python documentation uses; the model's input is NCHW."""
    import MNN

    nn, F = MNN.nn, MNN.expr
    config = {"backend": "CPU", "numThread": 1, "precision": "low" if precision == "fp16" else "normal"}
    runtime = nn.create_runtime_manager((config,))
    module = nn.load_module_from_file(path, [], [], runtime_manager=runtime, shape_mutable=True)

    def run(x: np.ndarray) -> np.ndarray:
        n, h, w = x.shape[:3]
        var = F.const(np.ascontiguousarray(x, np.float32).reshape(n, 1, h, w), [n, 1, h, w], F.NCHW)
        y = module.forward(var)
        # read() can alias the module's own output buffer, reused by the next call: copy, as ncnn's loop does
        return np.array(F.convert(y, F.NCHW).read(), np.float32).reshape(n, h, w)

    return run
