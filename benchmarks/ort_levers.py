"""onnxruntime levers for the performance issue, measured side by side on the shipped model.

    .venv/bin/python benchmarks/ort_levers.py

Settings take turns in rounds (p50 of each). Also: achieved GFLOP/s at batch 256 against a
same-run float32 matrix multiply (numpy), the machine's practical limit. Groundwork only:
nothing here changes the runtime's defaults.
"""

import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

EXPORT = Path(__file__).resolve().parents[1] / "models" / "seed" / "export"
base = str(EXPORT / "model.onnx")
int8 = str(EXPORT / "model.int8.onnx")
g = np.load(EXPORT / "golden.npz")["noisy"]
MFLOP_PER_DIGIT = 2 * 9 * (28 * 28 * 32 + 14 * 14 * 32 * 32 + 7 * 7 * 32 * 32 + 14 * 14 * 32 * 32 + 28 * 28 * 32) / 1e6
NCHW = str(Path(tempfile.mkdtemp()) / "nchw.onnx")
# NCHW variant: drop the Squeeze/Unsqueeze edges
m = onnx.load(base)
G = m.graph
nodes = list(G.node)
head, tail = nodes[:2], nodes[-2:]
first_in = head[1].output[0]
last_out = tail[0].input[0]
body = nodes[2:-2]
for n in body:
    for i, v in enumerate(n.input):
        if v == first_in:
            n.input[i] = "input"
    for i, v in enumerate(n.output):
        if v == last_out:
            n.output[i] = "output"
del G.node[:]
G.node.extend(body)
for vi in (G.input[0], G.output[0]):
    d = vi.type.tensor_type.shape.dim
    names = [x.dim_param or x.dim_value for x in d]
    del d[:]
    for x in [names[0], 1, names[1], names[2]]:
        nd = d.add()
        if isinstance(x, int):
            nd.dim_value = x
        else:
            nd.dim_param = x
onnx.save(m, NCHW)


def sess(path, threads=2, spin=True, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL):
    o = ort.SessionOptions()
    o.intra_op_num_threads = threads
    o.inter_op_num_threads = 1
    o.graph_optimization_level = level
    o.log_severity_level = 3
    o.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


cases = {
    "fp32 2t spin (default)": (sess(base), False),
    "fp32 1t": (sess(base, 1), False),
    "fp32 2t no-spin": (sess(base, 2, False), False),
    "fp32 2t EXTENDED": (sess(base, level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED), False),
    "fp32 NCHW I/O 2t": (sess(NCHW), True),
    "int8 2t": (sess(int8), False),
    "int8 1t": (sess(int8, 1), False),
}
res = {k: {1: [], 256: []} for k in cases}
for b in (1, 256):
    x = np.ascontiguousarray(np.resize(g, (b, 28, 28, 1)), np.float32)
    xn = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    n = 300 if b == 1 else 20
    for s, nchw in cases.values():
        for _ in range(5):
            s.run(None, {"input": xn if nchw else x})
    for _ in range(4):
        for k, (s, nchw) in cases.items():
            feed = {"input": xn if nchw else x}
            for _ in range(n // 4):
                t = time.perf_counter()
                s.run(None, feed)
                res[k][b].append(time.perf_counter() - t)
# IO binding at batch 1
s = cases["fp32 2t spin (default)"][0]
x1 = np.ascontiguousarray(g[:1], np.float32)
io = s.io_binding()
xo = ort.OrtValue.ortvalue_from_numpy(x1)
io.bind_ortvalue_input("input", xo)
yo = ort.OrtValue.ortvalue_from_numpy(np.empty_like(x1))
io.bind_ortvalue_output("output", yo)
tt = []
for _ in range(300):
    t = time.perf_counter()
    s.run_with_iobinding(io)
    tt.append(time.perf_counter() - t)
print("| setting | batch 1 p50 ms | batch 256 p50 ms |\n|---|---:|---:|")
for k in cases:
    print(f"| {k} | {np.median(res[k][1]) * 1e3:.3f} | {np.median(res[k][256]) * 1e3:.2f} |")
print(f"| fp32 2t IO binding, preallocated output | {np.median(tt) * 1e3:.3f} | - |")

a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
a @ a
t = time.perf_counter()
for _ in range(5):
    a @ a
matmul = 5 * 2 * 2048**3 / (time.perf_counter() - t) / 1e9
best = min(np.median(res[k][256]) for k in cases if k.startswith("fp32"))
achieved = MFLOP_PER_DIGIT * 256 / best / 1e3
print(
    f"\nmodel: {MFLOP_PER_DIGIT:.2f} MFLOP per 28x28 digit; best fp32 batch 256: {achieved:.0f} GFLOP/s; "
    f"numpy float32 matmul: {matmul:.0f} GFLOP/s; ratio {achieved / matmul:.2f}"
)
