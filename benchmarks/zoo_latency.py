"""Zoo models side by side in one process: onnxruntime fp32 and int8 of several export folders.

    .venv/bin/python benchmarks/zoo_latency.py models/seed/export runs/unet/export [...] \
        [--batch 1,256] [--rounds 5] [--json benchmarks/results/zoo_latency.json]

Every model runs on the same digits (the first folder's golden.npz: noisy inputs and clean
targets) and is measured the way `dae compare` does it (dae_runtime.bench.runner: the
models take turns in rounds, each turn after a pause and one untimed call; p50). Prints,
per batch, each model's p50 and its ratio to the first folder's model of the same precision.
PSNR is against the clean digits, so it is only comparable between models trained for the
golden set's noise level.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def main() -> None:
    from dae_runtime.bench.engines import onnx_engine
    from dae_runtime.bench.runner import BenchConfig, run_benchmark
    from dae_runtime.golden_compare import load_golden

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+", type=Path, help="`dae export` folders (the first is the reference)")
    ap.add_argument("--batch", default="1,256")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    data = load_golden(args.folders[0] / "golden.npz")
    engines = []
    for folder in args.folders:
        for name in ("model.onnx", "model.int8.onnx"):
            if (folder / name).is_file():
                engine = onnx_engine(folder / name, threads=args.threads)
                engine.engine = f"{folder.parent.name}/{folder.name} onnxruntime"
                engines.append(engine)
    cfg = BenchConfig(
        batches=tuple(int(b) for b in args.batch.split(",")), iters=args.iters, rounds=args.rounds, threads=args.threads
    )
    result = run_benchmark(engines, data["noisy"], data["clean"], None, cfg)
    rows = result["results"]
    print("| model | precision | batch | p50 ms | x first model | PSNR dB |\n|---|---|---:|---:|---:|---:|")
    for row in rows:
        ref = next(r for r in rows if r["precision"] == row["precision"] and r["batch"] == row["batch"])
        print(
            f"| {row['engine'].removesuffix(' onnxruntime')} | {row['precision']} | {row['batch']} | "
            f"{row['p50_ms']:.3f} | {row['p50_ms'] / ref['p50_ms']:.2f} | {row.get('psnr_db', float('nan')):.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=lambda o: np.asarray(o).tolist()) + "\n")


if __name__ == "__main__":
    main()
