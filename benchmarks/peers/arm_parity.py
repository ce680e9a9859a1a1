"""Parity on the emulated Pi CPUs: the peers' models (and any extra ONNX forms) run inside the arm64 root
(guest_outputs.py, under `make arm-cost`'s QEMU) on the export's 500 validation digits; the host compares
with Keras and with the same files run here on x86 (do the converted formats carry over to ARM unchanged?).

    python benchmarks/peers/arm_parity.py [--peers runs/arm-cost] [--onnx PRECISION=FILE ...] [--json OUT]

Per model and CPU: PSNR, max |diff| to Keras, PSNR loss against Keras' own PSNR, max |diff| to x86.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARM = HERE.parent / "arm_cost"
sys.path[:0] = [str(ARM), str(HERE)]


def guest_outputs(cpu: str, plan: Path, digits: Path, work: Path) -> dict[str, np.ndarray]:
    from run import cpuinfo_text

    (work / f"cpuinfo-{cpu}").write_text(cpuinfo_text(cpu))
    out = work / f"out-{cpu}.npz"
    guest = [
        "/opt/arm-cost-venv/bin/python",
        f"/mnt{ARM}/guest_outputs.py",
        f"/mnt{plan}",
        f"/mnt{digits}",
        f"/mnt{out}",
    ]
    cmd = [str(ARM / "guest.sh"), "count", cpu, str(work / f"cpuinfo-{cpu}"), str(work / f"counts-{cpu}"), "--", *guest]
    proc = subprocess.run(
        cmd,
        env={**os.environ, "PYTHONPATH": f"/mnt{REPO}/runtime/src:/mnt{REPO}/export/src"},
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"guest failed on {cpu}: {proc.stderr[-3000:]}")
    return dict(np.load(out))


def plan_models(peers: Path, onnx: list[str]) -> list[dict]:
    from run import PEER_MODELS

    models = [{"engine": e, "precision": p, "name": n, "path": f"/mnt{peers / n}"} for e, p, n in PEER_MODELS
              if (peers / n).is_file()]  # fmt: skip
    for item in onnx:
        precision, path = item.split("=", 1)
        p = Path(path).resolve()
        models.append({"engine": "onnxruntime", "precision": precision, "name": p.name, "path": f"/mnt{p}"})
    return models


def compare(models: list[dict], arm: dict[str, dict], digits: dict) -> dict:
    from guest_count import runner

    from dae_runtime.metrics import psnr

    keras, clean = digits["keras"][..., 0], digits["val_clean"]
    keras_psnr, result = psnr(keras[..., None], clean), {}
    for m in models:
        key = f"{m['engine']}:{m['precision']}:{m['name']}"
        x86 = np.asarray(runner({**m, "path": m["path"].removeprefix("/mnt")}, {})(digits["val_noisy"]), np.float32)
        x86 = x86.reshape(keras.shape)
        for cpu, outs in arm.items():
            y = outs[key]
            db = psnr(y[..., None], clean)
            result[f"{key}@{cpu}"] = {
                "psnr_db": db, "psnr_loss_vs_keras_db": keras_psnr - db,
                "max_abs_diff_vs_keras": float(np.abs(y - keras).max()),
                "max_abs_diff_vs_x86": float(np.abs(y - x86).max()),
            }  # fmt: skip
    return result


def main(argv: list[str] | None = None) -> int:
    from convert import export_digits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=Path, default=REPO / "runs/arm-cost", help="a dae export --ncnn --mnn folder")
    parser.add_argument("--model", type=Path, default=REPO / "models/seed/model.keras")
    parser.add_argument("--onnx", action="append", default=[], help="PRECISION=FILE, an onnxruntime form to add")
    parser.add_argument("--cpus", default="cortex-a72,cortex-a76")
    parser.add_argument("--json", type=Path, default=REPO / "runs/peers/arm_parity.json")
    args = parser.parse_args(argv)
    digits, models = export_digits(args.model), plan_models(args.peers.resolve(), args.onnx)
    with tempfile.TemporaryDirectory(prefix="arm-parity-") as tmp:
        work = Path(tmp)
        np.save(work / "digits.npy", digits["val_noisy"].astype(np.float32))
        (work / "plan.json").write_text(json.dumps({"models": models}))
        arm = {cpu: guest_outputs(cpu, work / "plan.json", work / "digits.npy", work) for cpu in args.cpus.split(",")}
    result = compare(models, arm, digits)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    for key, r in result.items():
        print(f"{key:60s} PSNR {r['psnr_db']:.3f} loss {r['psnr_loss_vs_keras_db']:+.3f} dB  "
              f"|d| Keras {r['max_abs_diff_vs_keras']:.1e}  x86 {r['max_abs_diff_vs_x86']:.1e}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
