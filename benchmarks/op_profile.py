"""Where an ONNX model's time goes in onnxruntime: kernel time per op type (and per Conv node).

    .venv/bin/python benchmarks/op_profile.py models/seed/export/model.int8.onnx [more.onnx ...] \
        [--batch 256] [--runs 15] [--threads 2]

onnxruntime's own profiler (SessionOptions.enable_profiling), summed over `runs` calls on random
digits (28x28; the time does not depend on the values). Read the shares, not the milliseconds:
the machine is shared.
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from pathlib import Path

import numpy as np


def profile(path: Path, batch: int, runs: int, threads: int) -> tuple[collections.Counter, collections.Counter]:
    """({op type: ms per run}, {Conv node: ms per run})."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.enable_profiling, opts.intra_op_num_threads = True, threads
    opts.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32)
    session.run(None, {"input": x})  # warm-up, profiled too but small against `runs` calls
    for _ in range(runs):
        session.run(None, {"input": x})
    by_op, by_conv = collections.Counter(), collections.Counter()
    for event in json.loads(Path(session.end_profiling()).read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            op = event["args"]["op_name"]
            by_op[op] += event["dur"] / runs / 1000
            if "Conv" in op:
                by_conv[event["name"].removesuffix("_kernel_time")] += event["dur"] / runs / 1000
    return by_op, by_conv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    for path in args.models:
        by_op, by_conv = profile(path, args.batch, args.runs, args.threads)
        total = sum(by_op.values())
        print(f"{path}: {total:.2f} ms per run at batch {args.batch}")
        print("  ops:   " + "; ".join(f"{k} {v:.2f} ({v / total:.0%})" for k, v in by_op.most_common()))
        print("  convs: " + "; ".join(f"{k} {v:.2f}" for k, v in by_conv.most_common()))


if __name__ == "__main__":
    main()
