"""The seed model for ncnn and MNN, the engines a Pi user would pick instead of the bundle (issue 26), with
their parity against Keras: a benchmark recipe, not an export step (those come after the export rooms move).

    python benchmarks/peers/convert.py [--model models/seed/model.keras] [--plain DIR] [--out runs/peers]
        [--ncnn-tools DIR]

1. `dae export --graph plain` (or --plain: a folder that has one), then onnx_nchw.py: NCHW, 1x1x28x28,
   explicit pads (both converters need a fixed input; tf2onnx's SAME_UPPER becomes pads).
2. ncnn fp32: pnnx (the `pnnx` wheel's binary; its Python wrapper wants torch, the binary does not).
   ncnn int8: with --ncnn-tools, ncnn2table (the calibration digits as .npy, method kl) + ncnn2int8, built from
   ncnn's source (not on PyPI or in Debian 12); without, ncnn_int8_py.py (ncnn2table's weight scales, min-max
   input scales, ncnn quantizing the weights at load time: bit-identical to ncnn2int8 for the same table).
3. MNN fp32: the converter of the `MNN` wheel (`_tools.mnnconvert`, the C++ tool: its `mnnconvert` and
   `mnnquant` Python wrappers post usage logs to a remote service and pip-install a package for that, so they
   are not used). MNN int8: `_tools.mnnquant` on the calibration digits as MNN's sequence input (text).
4. Parity on the export's 500 validation digits: fp32 max |diff| to Keras (gate 1e-4), int8 PSNR loss against
   the same engine's fp32 (the export's int8 gate, 0.2 dB). Everything, with the commands, in peers.json.

The calibration and validation digits are the export's (dae_export.pipeline): the first 512 builtin training
digits with the model's training noise (Gaussian 0.5, seed [0, 1]), the 500 validation digits (seed [0, 2]).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "arm_cost"))
sys.path.insert(0, str(HERE))


def export_digits(model: Path) -> dict[str, np.ndarray]:
    """The export's calibration and validation digits for this model (as `dae export` makes them)."""
    from dae_export.model_shape import input_side
    from dae_export.pipeline import ExportConfig, _export_noise, _noisy_digits, _train_report
    from dae_train.evaluate import load_keras_model

    keras_model = load_keras_model(model)
    cfg = ExportConfig(model=str(model), out="")
    _, noise = _export_noise(cfg, _train_report(model).get("config", {}))
    calib, val_noisy, val_clean = _noisy_digits(cfg, noise, input_side(keras_model))
    from dae_export.parity import run_keras

    return {"calib": calib, "val_noisy": val_noisy, "val_clean": val_clean, "keras": run_keras(keras_model, val_noisy)}


def run(cmd: list[str], log: list, cwd: Path | None = None) -> None:
    log.append(" ".join(str(c) for c in cmd))
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def plain_onnx(model: Path, plain: Path | None, out: Path, log: list) -> Path:
    if plain is None:
        plain = out / "plain"
        run([Path(sys.executable).with_name("dae"), "export", "--model", model, "--out", plain, "--graph", "plain",
             "-q"], log)  # fmt: skip
    import onnx
    from onnx_nchw import nchw_fixed

    dest = out / "seed.onnx"
    onnx.save(nchw_fixed(onnx.load(str(plain / "model.onnx")), batch=1), str(dest))
    log.append(f"python benchmarks/peers/onnx_nchw.py {plain / 'model.onnx'} {dest} 1")
    return dest


def to_ncnn(onnx_path: Path, out: Path, log: list) -> Path:
    from importlib.util import find_spec

    spec = find_spec("pnnx")  # not imported: its package __init__ imports torch
    binary = Path(spec.origin if spec and spec.origin else "pnnx").with_name("pnnx")
    work = out / "pnnx"
    work.mkdir(exist_ok=True)
    (work / "seed.onnx").write_bytes(onnx_path.read_bytes())
    run([binary, "seed.onnx", "inputshape=[1,1,28,28]", "fp16=0"], log, cwd=work)
    for ext in ("param", "bin"):
        (work / f"seed.ncnn.{ext}").replace(out / f"model.ncnn.{ext}")
    return out / "model.ncnn.param"


def to_mnn(onnx_path: Path, out: Path, log: list) -> Path:
    dest = out / "model.mnn"
    args = ["-f", "ONNX", "--modelFile", str(onnx_path), "--MNNModel", str(dest), "--bizCode", "dae-edge"]
    code = "import sys, _tools; _tools.mnnconvert(['mnnconvert', *sys.argv[1:]])"
    run([sys.executable, "-c", code, *args], log)
    return dest


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("ncnn", "pnnx", "MNN", "onnx", "numpy")}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models/seed/model.keras")
    parser.add_argument("--plain", type=Path, help="a `dae export --graph plain` folder of this model")
    parser.add_argument("--out", type=Path, default=REPO / "runs/peers")
    parser.add_argument("--ncnn-tools", type=Path, help="folder with ncnn2table and ncnn2int8 (else: Python, min-max)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from peer_int8 import mnn_int8, ncnn_int8, ncnn_int8_python
    from peer_parity import check_all

    args, started, log = _parse_args(argv), time.time(), []
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = plain_onnx(args.model, args.plain, out, log)
    digits = export_digits(args.model)
    models = {("ncnn", "fp32"): to_ncnn(onnx_path, out, log), ("mnn", "fp32"): to_mnn(onnx_path, out, log)}
    if args.ncnn_tools:
        models[("ncnn", "int8")] = ncnn_int8(models[("ncnn", "fp32")], digits["calib"], args.ncnn_tools, out, log)
    else:
        models[("ncnn", "int8")] = ncnn_int8_python(models[("ncnn", "fp32")], digits["calib"], out, log)
    models[("mnn", "int8")] = mnn_int8(models[("mnn", "fp32")], digits["calib"], out, log)
    checks = check_all(models, digits)
    record = {
        "date": time.strftime("%Y-%m-%d"), "model": str(args.model), "versions": versions(), "commands": log,
        "models": {f"{e}:{p}": str(path.relative_to(out)) for (e, p), path in models.items()},
        "checks": checks, "seconds": round(time.time() - started, 1),
    }  # fmt: skip
    (out / "peers.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(checks, indent=1))
    failed = [k for k, c in checks.items() if not c["ok"]]
    print(f"peers: {out}: " + (f"outside the gates: {', '.join(failed)}" if failed else "every model within its gate"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
