"""Cold start and resident memory: the TensorFlow-free runtime against loading the Keras model.

Each measurement is a fresh Python process (so imports are really cold from the module
cache's point of view), the two kinds interleaved, the median of --repeats reported.

    .venv/bin/python benchmarks/footprint.py [--repeats 5]

Cold start = import + model load (+ session) + the first denoise of one digit, measured
inside the process; `process_s` adds the interpreter's own start-up. RSS is ru_maxrss.
Writes benchmarks/results/footprint.json.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dae_runtime.atomic import write_json

ROOT = Path(__file__).resolve().parents[1]

RUNTIME = """
import time; t = time.perf_counter()
import numpy as np
from dae_runtime.denoiser import Denoiser
Denoiser({args}).denoise_batch(np.zeros((1, 28, 28), np.float32))
cold = time.perf_counter() - t
import resource, sys; print(cold, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

KERAS = """
import os, time; os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"; t = time.perf_counter()
import numpy as np, keras
model = keras.models.load_model({path!r}, compile=False)
model(np.zeros((1, 28, 28, 1), np.float32))
cold = time.perf_counter() - t
import resource; print(cold, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""

CASES = {
    "runtime fp32": RUNTIME.format(args=""),
    "runtime int8": RUNTIME.format(args="precision='int8'"),
    "keras (tensorflow)": KERAS.format(path=str(ROOT / "models" / "seed" / "model.keras")),
}


def once(code: str) -> tuple[float, float, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    cold, rss = (float(v) for v in out.split()[-2:])
    return cold, rss, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    samples: dict[str, list] = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, code in CASES.items():  # interleaved, so machine noise hits every case alike
            samples[name].append(once(code))
    rows = []
    for name, runs in samples.items():
        cold, rss, wall = (statistics.median(col) for col in zip(*runs, strict=True))
        rows.append(
            {"case": name, "cold_start_s": round(cold, 3), "rss_mb": round(rss, 1), "process_s": round(wall, 3)}
        )
    keras = rows[-1]
    print("| case | cold start s | RSS MB | whole process s | cold start vs Keras |\n|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['case']} | {r['cold_start_s']:.3f} | {r['rss_mb']:.0f} | {r['process_s']:.2f} "
            f"| {r['cold_start_s'] / keras['cold_start_s']:.3f}x |"
        )
    out = ROOT / "benchmarks" / "results" / "footprint.json"
    out.parent.mkdir(exist_ok=True)
    write_json(out, {"date": time.strftime("%Y-%m-%d"), "repeats": args.repeats, "rows": rows})


if __name__ == "__main__":
    main()
