"""Ablation of the training recipe: what each change buys in validation PSNR at sigma 0.5.

Each variant is a full `dae train` run on the builtin digits (4,500 train / 500 fixed
validation digits), so the figures are those of the shipped code, not of a notebook.

    .venv/bin/python benchmarks/train_recipe.py                 # every variant, about an hour on 2 cores
    .venv/bin/python benchmarks/train_recipe.py --only seed-60 --only shipped

Writes benchmarks/results/train_recipe.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from dae_runtime.atomic import write_json

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# name -> (what changed, TrainConfig overrides). Each row adds one change to the one above it.
VARIANTS: dict[str, tuple[str, dict]] = {
    "seed-60": (
        "seed notebook: Adam 1e-3 constant, BCE, batch 128, no shifts, 60 epochs",
        dict(epochs=60, lr=1e-3, schedule="constant", batch_size=128, max_shift=0, patience=60),
    ),
    "shift-cosine-100": (
        "+ random 2-pixel shifts, cosine decay from 3e-3, 100 epochs",
        dict(epochs=100, lr=3e-3, schedule="cosine", batch_size=128, max_shift=2, patience=100),
    ),
    "batch16-100": (
        "+ batch 16 (8x the updates per epoch), lr 1.5e-3",
        dict(epochs=100, lr=1.5e-3, schedule="cosine", batch_size=16, max_shift=2, patience=100),
    ),
    "shipped": ("+ 150 epochs: the shipped recipe, TrainConfig defaults (make model)", dict()),
}

RESULTS = Path(__file__).parent / "results"


SHIPPED_REPORT = Path(__file__).parents[1] / "models" / "seed" / "train_report.json"


def run(name: str, work: Path) -> dict:
    from dae_train.config import TrainConfig
    from dae_train.trainer import train

    what, overrides = VARIANTS[name]
    cfg = TrainConfig(data="builtin", seed=0, **overrides)
    started = time.perf_counter()
    shipped = json.loads(SHIPPED_REPORT.read_text()) if SHIPPED_REPORT.exists() else None
    if shipped is not None and shipped["config"] == cfg.to_dict():
        report = shipped  # `make model` already ran exactly this configuration
        started -= report["train_seconds"]
    else:
        report = train(cfg, work / name, overwrite=True, verbose=0)
    return {
        "variant": name,
        "change": what,
        "val_psnr_db": round(report["val_psnr_db"], 3),
        "val_ssim": round(report["val_ssim"], 4),
        "best_epoch": report["best_epoch"],
        "epochs": cfg.epochs,
        "wall_s": round(time.perf_counter() - started, 1),
        "config": cfg.to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=sorted(VARIANTS), help="run just these variants")
    parser.add_argument("--work", type=Path, default=Path("runs/recipe"), help="where the runs go")
    args = parser.parse_args()

    out = RESULTS / "train_recipe.json"
    rows = {r["variant"]: r for r in json.loads(out.read_text())["rows"]} if out.exists() else {}
    for name in args.only or list(VARIANTS):
        print(f"== {name}: {VARIANTS[name][0]}", flush=True)
        rows[name] = run(name, args.work)
        print(f"   {rows[name]['val_psnr_db']:.2f} dB in {rows[name]['wall_s']:.0f} s", flush=True)
        ordered = [rows[n] for n in VARIANTS if n in rows]
        RESULTS.mkdir(exist_ok=True)
        write_json(out, {"date": time.strftime("%Y-%m-%d"), "rows": ordered})

    print("\n| variant | change | val PSNR dB | val SSIM | best epoch | wall s |\n|---|---|---:|---:|---:|---:|")
    for r in (rows[n] for n in VARIANTS if n in rows):
        print(
            f"| {r['variant']} | {r['change']} | {r['val_psnr_db']:.2f} | {r['val_ssim']:.3f} "
            f"| {r['best_epoch']}/{r['epochs']} | {r['wall_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
