"""Every onnxruntime lever of the performance issue, before and after, side by side in one run.

    .venv/bin/python benchmarks/ort_levers.py [--keras models/seed/model.keras] [--rounds 5]

Builds each variant from the Keras model with the export's own functions (plain tf2onnx graph,
fast graph, each int8 step), then measures all of them and TFLite the way `dae compare` does:
cases take turns in rounds, each turn after a pause and one untimed call; p50 of batch 1 and
batch 256. Also: achieved GFLOP/s at batch 256 against a same-run numpy float32 matmul, and
session start-up with and without a saved optimized model. Writes
benchmarks/results/ort_levers.{json,md}. Needs the full venv (TensorFlow, tf2onnx).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

import numpy as np

from dae_runtime.atomic import atomic_path, write_json

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# The model's function: 3x3 convs 1->32 (28x28), 32->32 (14x14, 7x7, 14x14 after upsampling), 32->1 (28x28).
MFLOP_PER_DIGIT = 2 * 9 * (28 * 28 * 32 + 14 * 14 * 32 * 32 + 7 * 7 * 32 * 32 + 14 * 14 * 32 * 32 + 28 * 28 * 32) / 1e6
# What the fast fp32 graph executes: its phase convs carry zero taps (decoder: 7x7 x 288 x 128 and
# 8x8 x 512 x 16 instead of 14x14 x 288 x 32 and 28x28 x 288 x 1), so a little more than the function.
FAST_MFLOP_PER_DIGIT = (
    2 * (28 * 28 * 9 * 32 + 14 * 14 * 288 * 32 + 7 * 7 * 288 * 32 + 7 * 7 * 288 * 128 + 8 * 8 * 512 * 16) / 1e6
)


@dataclass
class Case:
    name: str
    run: Callable[[np.ndarray], object]
    group: str  # fp32 | int8 | tflite


def _session(path: Path, threads: int = 2, spinning: bool = True, level: str = "all", lean: bool = False):
    import onnxruntime as ort

    from dae_runtime.denoiser import SessionConfig, fast_run, session_options

    options = session_options(SessionConfig(threads=threads, spinning=spinning, graph_optimization=level))
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    if lean:
        run = fast_run(session)
        return lambda x: run({"input": x})
    return lambda x: session.run(None, {"input": x})[0]


def _io_binding(path: Path):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    binding = session.io_binding()

    def run(x):
        y = np.empty(x.shape, np.float32)
        binding.bind_cpu_input("input", x)
        binding.bind_output("output", "cpu", 0, np.float32, list(y.shape), y.ctypes.data)
        session.run_with_iobinding(binding)
        return y

    return run


def build_variants(keras_path: Path, folder: Path, calib: np.ndarray) -> dict[str, Path]:
    import onnx

    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.quantize import quantize
    from dae_export.rewrites import seed as fast_graph
    from dae_train.evaluate import load_keras_model

    plain = convert_fp32(load_keras_model(keras_path))
    fast = fast_graph.fast_fp32(plain)
    graphs = {
        "plain": plain,
        "fast": fast,
        "decoder only": fast_graph.transpose_edges(fast_graph.lowres_decoder(plain)),
        "int8 source": fast_graph.column_phase_encoder(fast),
    }
    paths = {}
    for name, proto in graphs.items():
        paths[name] = folder / f"{name.replace(' ', '_')}.onnx"
        onnx.save(proto, str(paths[name]))
    for name in ("plain", "decoder only", "int8 source"):
        paths[f"{name} int8"] = folder / f"{name.replace(' ', '_')}.int8.onnx"
        quantize(paths[name], paths[f"{name} int8"], calib, "u8s8", [])
    paths["shipped int8"] = folder / "shipped.int8.onnx"
    onnx.save(fast_graph.dequantize_last(onnx.load(str(paths["int8 source int8"]))), str(paths["shipped int8"]))
    return paths


def cases(paths: dict[str, Path], export_dir: Path) -> list[Case]:
    from dae_export.engines.tflite_engine import tflite_engine

    c = [
        Case("fp32 plain graph (before)", _session(paths["plain"]), "fp32"),
        Case("fp32 fast graph, InferenceSession.run", _session(paths["fast"]), "fp32"),
        Case("fp32 fast graph, lean run (after: the runtime)", _session(paths["fast"], lean=True), "fp32"),
        Case(
            "fp32 fast graph, ORT_ENABLE_EXTENDED (no NCHWc)",
            _session(paths["fast"], level="extended", lean=True),
            "fp32",
        ),  # fmt: skip
        Case("fp32 fast graph, 1 thread", _session(paths["fast"], threads=1, lean=True), "fp32"),
        Case("fp32 fast graph, no spinning", _session(paths["fast"], spinning=False, lean=True), "fp32"),
        Case("fp32 fast graph, IO binding + preallocated output", _io_binding(paths["fast"]), "fp32"),
        Case("int8 plain graph (before)", _session(paths["plain int8"]), "int8"),
        Case("int8 decoder at low resolution only", _session(paths["decoder only int8"]), "int8"),
        Case("int8 + first conv in phase form", _session(paths["int8 source int8"]), "int8"),
        Case(
            "int8 + dequantize last, lean run (after: the runtime)", _session(paths["shipped int8"], lean=True), "int8"
        ),  # fmt: skip
        Case("int8 shipped, 1 thread", _session(paths["shipped int8"], threads=1, lean=True), "int8"),
        Case("int8 shipped, no spinning", _session(paths["shipped int8"], spinning=False, lean=True), "int8"),
    ]
    for name, precision in (("model.tflite", "fp32"), ("model.int8.tflite", "int8")):
        if (export_dir / name).is_file():
            c.append(
                Case(f"TFLite {precision} (XNNPACK)", tflite_engine(export_dir / name, precision, 2).run, "tflite")
            )
    return c


def measure(all_cases: list[Case], digits: np.ndarray, batches=(1, 256), rounds: int = 5, settle: float = 0.25) -> dict:
    from dae_runtime.bench.timing import take_turns, warm_up

    p50: dict[str, dict[int, float]] = {}
    for batch in batches:
        x = np.ascontiguousarray(np.resize(digits, (batch, 28, 28, 1)), np.float32)
        calls = 200 if batch == 1 else 6
        for c in all_cases:
            warm_up(partial(c.run, x), 5)
        samples = take_turns({c.name: partial(c.run, x) for c in all_cases}, rounds, calls, settle)
        for name, s in samples.items():
            p50.setdefault(name, {})[batch] = s.p50_ms
    return p50


def matmul_gflops() -> float:
    from dae_runtime.bench.timing import time_calls

    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    return 5 * 2 * 2048**3 / time_calls(lambda: a @ a, 5).total_s / 1e9


def startup_seconds(path: Path, folder: Path) -> dict:
    """Session creation, plain vs from a saved optimized model (which skips the graph optimizers)."""
    import onnxruntime as ort

    from dae_runtime.bench.timing import take_turns

    optimized = folder / "optimized.onnx"
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(optimized)
    options.log_severity_level = 3
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    unoptimized = ort.SessionOptions()
    unoptimized.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    cases = {
        "from model.onnx": lambda: ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]),
        "from the saved optimized model": lambda: ort.InferenceSession(
            str(optimized), unoptimized, providers=["CPUExecutionProvider"]
        ),
    }
    return {k: float(np.median(v.wall_s)) for k, v in take_turns(cases, rounds=7, calls_per_round=1).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras", default=str(ROOT / "models" / "seed" / "model.keras"))
    parser.add_argument("--export-dir", default=str(ROOT / "models" / "seed" / "export"), help="for TFLite and digits")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    export_dir = Path(args.export_dir)
    digits = np.load(export_dir / "golden.npz")["noisy"].astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        paths = build_variants(Path(args.keras), Path(tmp), digits)
        all_cases = cases(paths, export_dir)
        p50 = measure(all_cases, digits, rounds=args.rounds)
        startup = startup_seconds(paths["fast"], Path(tmp))
    matmul = matmul_gflops()
    best_fp32 = min(v[256] for k, v in p50.items() if k.startswith("fp32"))
    achieved = MFLOP_PER_DIGIT * 256 / best_fp32  # MFLOP / ms = GFLOP/s
    executed = FAST_MFLOP_PER_DIGIT * 256 / best_fp32
    result = {
        "date": date.today().isoformat(),
        "p50_ms": p50,
        "groups": {c.name: c.group for c in all_cases},
        "mflop_per_digit": MFLOP_PER_DIGIT,
        "fp32_gflops_batch256": achieved,
        "fast_graph_mflop_per_digit": FAST_MFLOP_PER_DIGIT,
        "fp32_executed_gflops_batch256": executed,
        "numpy_matmul_gflops": matmul,
        "session_start_s": startup,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS / "ort_levers.json", result)
    lines = ["| setting | batch 1 p50 ms | batch 256 p50 ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {v[1]:.3f} | {v[256]:.2f} |" for name, v in p50.items()]
    lines.append(
        f"\nfp32 at batch 256: {MFLOP_PER_DIGIT:.2f} MFLOP per digit (the function) x 256 in {best_fp32:.2f} ms = "
        f"{achieved:.0f} GFLOP/s ({executed:.0f} GFLOP/s of the {FAST_MFLOP_PER_DIGIT:.2f} MFLOP "
        "the fast graph executes); "
        f"numpy float32 2048x2048 matmul in the same run: {matmul:.0f} GFLOP/s; ratio {achieved / matmul:.2f} "
        f"({executed / matmul:.2f} executed)"
    )
    lines.append("session start-up: " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in startup.items()))
    with atomic_path(RESULTS / "ort_levers.md") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
