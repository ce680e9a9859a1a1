"""Runs inside the emulated aarch64 root, under the counting plugin: marks the instruction counter
around N inferences and around 0 inferences of each (engine, model, batch), so the host can compute
instructions per inference = (count with N - count with 0) / N.

    python guest_count.py PLAN.json MARKS.json

PLAN.json: {"models": [{"engine": "onnxruntime"|"litert"|"ncnn"|"mnn", "precision": ..., "path": ..., "form": ...}],
            "batches": [1, 64], "runs": {"1": 20, "64": 4}, "warmup": 3, "session": {...}}
MARKS.json (written here): one entry per measurement with its four marker tags.
Every engine runs with one thread: the plugin's counters assume one guest thread.
"""

from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path

import numpy as np

MARK_SYSCALL = 7777  # insn_classes.c: an unused syscall number the plugin snapshots its counters on
_libc = ctypes.CDLL(None, use_errno=True)
_tags = iter(range(1, 1 << 30))


def mark() -> int:
    tag = next(_tags)
    _libc.syscall(MARK_SYSCALL, ctypes.c_long(tag))
    return tag


def onnx_runner(path: str, session: dict, call: str = "denoiser"):
    """call: denoiser (Denoiser.denoise_batch, as the runtime runs it), raw (the C++ session's run on a
    ready feed: no Python checks), iobinding (input and output bound once, run_with_iobinding), bare (raw on
    a session made without the Denoiser: models whose output is not an image, e.g. per-layer prefixes)."""
    from dae_runtime.denoiser import Denoiser, SessionConfig, session_options

    config = SessionConfig(threads=1, spinning=False, **session)
    if call == "bare":  # any model (per-layer prefixes with uint8 outputs): the runtime's options, no checks
        import onnxruntime as ort

        bare = ort.InferenceSession(path, session_options(config), providers=["CPUExecutionProvider"])
        name_in, names_out = bare.get_inputs()[0].name, [o.name for o in bare.get_outputs()]
        return lambda x: bare._sess.run(names_out, {name_in: x}, None)[0]
    denoiser = Denoiser(Path(path), session=config)
    if call == "denoiser":
        return denoiser.denoise_batch
    sess = denoiser.session
    name, out = sess.get_inputs()[0].name, [sess.get_outputs()[0].name]
    if call == "raw":
        return lambda x: sess._sess.run(out, {name: x}, None)[0]
    import onnxruntime as ort

    bound = {}

    def run_bound(x: np.ndarray) -> np.ndarray:
        if bound.get("shape") != x.shape:
            binding = sess.io_binding()
            binding.bind_cpu_input(name, x)
            y = np.empty(x.shape, np.float32)
            binding.bind_output(out[0], "cpu", 0, np.float32, list(y.shape), y.ctypes.data)
            bound.update(shape=x.shape, binding=binding, x=x, y=y, options=ort.RunOptions())
        np.copyto(bound["x"], x)
        sess._sess.run_with_iobinding(bound["binding"]._iobinding, bound["options"])
        return bound["y"]

    return run_bound


def litert_runner(path: str, _session: dict, call: str = "invoke"):
    # dae-edge-export (TensorFlow, tf2onnx) cannot be installed in the emulated Pi, so its TFLite wrapper
    # is repeated here with the same calls, as dae compare makes them.
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=1)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    shape = [None]

    def run(x: np.ndarray) -> np.ndarray:  # the calls of dae_export.engines.tflite_engine.TfliteModel
        if shape[0] != x.shape:
            interpreter.resize_tensor_input(inp["index"], x.shape)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"])[..., 0]

    return run


RUNNERS = {"onnxruntime": onnx_runner, "litert": litert_runner}


def runner(model: dict, session: dict):
    if model["engine"] == "ncnn":  # the peers, as `dae compare` runs them (numpy and the engine only), by precision
        from dae_export.engines.ncnn_engine import ncnn_runner

        return ncnn_runner(model["path"], model["precision"], threads=1)
    if model["engine"] == "mnn":
        from dae_export.engines.mnn_engine import mnn_runner

        return mnn_runner(model["path"], model["precision"], threads=1)
    return RUNNERS[model["engine"]](model["path"], session, *([model["call"]] if "call" in model else []))


def measure(run, x: np.ndarray, runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        run(x)
    tags = {"n_start": mark()}
    for _ in range(runs):
        run(x)
    tags["n_end"] = mark()
    tags["zero_start"] = mark()
    for _ in range(0):
        run(x)
    tags["zero_end"] = mark()
    return tags


def main(plan_path: str, marks_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    rng = np.random.default_rng(0)
    marks = []
    for model in plan["models"]:
        run = runner(model, plan.get("session", {}))
        for batch in plan["batches"]:
            x = rng.random((batch, 28, 28, 1), dtype=np.float32)
            runs = int(plan["runs"][str(batch)])
            tags = measure(run, x, runs, int(plan["warmup"]))
            marks.append({**model, "batch": batch, "runs": runs, "tags": tags})
    Path(marks_path).write_text(json.dumps(marks, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
