"""Does a model beat the classical filters at every noise level? (issue 14's blind-noise goal)

    .venv/bin/python benchmarks/blind_vs_filters.py MODEL.keras [--onnx EXPORT/model.int8.onnx ...] \
        [--data builtin] [--limit 500] [--json benchmarks/results/blind_vs_filters.json]

Per sigma 0.1..0.7, on the digits `dae evaluate` uses (same noise draws: default_rng([seed, i])):
the Keras model, any ONNX exports given (through the runtime's Denoiser), the 3x3 median, the
3x3 Gaussian and non-local means at several strengths h = k * 255 * sigma (k in NLM_FACTORS;
`dae evaluate` uses k = 0.5), keeping the best k per sigma. Prints a Markdown table and, per
model, whether it beats every filter at every sigma.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

NLM_FACTORS = (0.3, 0.5, 0.7, 1.0, 1.4, 2.0)


def nlm(images: np.ndarray, h: float) -> np.ndarray:
    import cv2

    u8 = np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)
    return np.stack([cv2.fastNlMeansDenoising(im, None, h=h, templateWindowSize=7, searchWindowSize=21) for im in u8])[
        ..., None
    ] / np.float32(255.0)


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from dae_runtime.baselines import gaussian3, median3
    from dae_runtime.denoiser import Denoiser
    from dae_runtime.metrics import psnr
    from dae_runtime.noise import NoiseSpec
    from dae_train.config import DEFAULT_SIGMAS
    from dae_train.data import load_mnist
    from dae_train.evaluate import load_keras_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("--onnx", type=Path, action="append", default=[])
    ap.add_argument("--data", default="builtin")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    keras_model = load_keras_model(args.model)
    models = {"keras": lambda x: keras_model.predict(x, batch_size=512, verbose=0)}
    for path in args.onnx:
        models[f"{path.parent.name}/{path.name}"] = lambda x, d=Denoiser(path): d.denoise_batch(x)[..., None]
    clean = load_mnist(args.data).evaluation_set().as_float()[: args.limit]
    rows = []
    for i, sigma in enumerate(DEFAULT_SIGMAS):
        noisy = NoiseSpec("gaussian", sigma).apply(clean, np.random.default_rng([args.seed, i]))
        row = {"sigma": sigma, "noisy input": psnr(noisy, clean)}
        row |= {name: psnr(run(noisy), clean) for name, run in models.items()}
        row["median 3x3"] = psnr(median3(noisy), clean)
        row["gaussian 3x3"] = psnr(gaussian3(noisy), clean)
        nlm_scores = {k: psnr(nlm(noisy, float(np.clip(255 * sigma * k, 1.0, 255.0))), clean) for k in NLM_FACTORS}
        best_k = max(nlm_scores, key=nlm_scores.get)
        row["best non-local means"], row["best nlm k"] = nlm_scores[best_k], best_k
        rows.append(row)
        print(f"sigma {sigma}: done", flush=True)

    filters = ("median 3x3", "gaussian 3x3", "best non-local means")
    cols = ["noisy input", *models, *filters]
    print("\n| sigma | " + " | ".join(cols) + " | best nlm k |\n|---:|" + "---:|" * (len(cols) + 1))
    for r in rows:
        print(f"| {r['sigma']:g} | " + " | ".join(f"{r[c]:.2f}" for c in cols) + f" | {r['best nlm k']:g} |")
    verdict = {}
    for name in models:
        margins = [r[name] - max(r[f] for f in filters) for r in rows]
        verdict[name] = {"beats_every_filter_at_every_sigma": min(margins) > 0, "smallest_margin_db": min(margins)}
        print(
            f"\n{name}: beats every filter at every sigma: {min(margins) > 0} (smallest margin {min(margins):+.2f} dB)"
        )
    if args.json:
        config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        config["onnx"] = [str(p) for p in args.onnx]
        args.json.write_text(json.dumps({"config": config, "rows": rows, "verdict": verdict}, indent=2) + "\n")


if __name__ == "__main__":
    main()
