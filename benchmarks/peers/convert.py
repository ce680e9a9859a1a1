"""ncnn int8 made by ncnn's own C++ tools (KL divergence), beside the export's PyPI-only min-max one (issue 26):
a benchmark recipe for `make arm-cost --peers`, not an export step (`dae export --ncnn --mnn` makes the peers).

    python benchmarks/peers/convert.py --ncnn-tools DIR [--export runs/arm-cost] [--out runs/peers]
        [--model models/seed/model.keras]

--export: a `dae export --ncnn --mnn` folder of --model (made here if it has no ncnn model). Its peer models go
to --out as they are, but for ncnn int8: ncnn2table (method kl) on the export's calibration digits saved as
.npy (type=1: no image decoding), then ncnn2int8 (both built from ncnn's source: not on PyPI or in Debian 12).
Parity on the export's 500 validation digits (peer_parity.py) and the commands go to OUT/peers.json.

The calibration and validation digits are the export's (dae_export.pipeline): the first 512 builtin training
digits with the model's training noise (Gaussian 0.5, seed [0, 1]), the 500 validation digits (seed [0, 2]).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
PEER_FILES = ("model.ncnn.param", "model.ncnn.bin", "model.mnn", "model.int8.mnn")


def export_digits(model: Path) -> dict[str, np.ndarray]:
    """The export's calibration and validation digits for this model (as `dae export` makes them)."""
    from dae_export.model_shape import input_side
    from dae_export.parity import run_keras
    from dae_export.pipeline import ExportConfig, _export_noise, _noisy_digits, _train_report
    from dae_train.evaluate import load_keras_model

    keras_model = load_keras_model(model)
    cfg = ExportConfig(model=str(model), out="")
    _, noise = _export_noise(cfg, _train_report(model).get("config", {}))
    calib, val_noisy, val_clean = _noisy_digits(cfg, noise, input_side(keras_model))
    return {"calib": calib, "val_noisy": val_noisy, "val_clean": val_clean, "keras": run_keras(keras_model, val_noisy)}


def run(cmd: list, log: list, cwd: Path | None = None) -> None:
    log.append(" ".join(str(c) for c in cmd))
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def ncnn_int8_kl(param: Path, calib: np.ndarray, tools: Path, out: Path, log: list) -> Path:
    folder = out / "calib_npy"
    folder.mkdir(exist_ok=True)
    paths = []
    for i, digit in enumerate(calib):
        paths.append(folder / f"{i:04d}.npy")
        np.save(paths[-1], np.ascontiguousarray(digit[..., 0][None], np.float32))  # (c=1, h, w)
    listing = out / "calib_npy.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    table, weights = out / "model.ncnn.table", param.with_suffix(".bin")
    run([tools / "ncnn2table", param, weights, listing, table, f"shape=[{','.join(map(str, calib.shape[1:]))}]",
         "method=kl", "type=1", "thread=1"], log)  # fmt: skip
    dest = out / "model.int8.ncnn.param"
    run([tools / "ncnn2int8", param, weights, dest, dest.with_suffix(".bin"), table], log)
    return dest


def main(argv: list[str] | None = None) -> int:
    from peer_parity import check_all

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models/seed/model.keras")
    parser.add_argument("--export", type=Path, default=REPO / "runs/arm-cost")
    parser.add_argument("--out", type=Path, default=REPO / "runs/peers")
    parser.add_argument("--ncnn-tools", type=Path, required=True, help="folder with ncnn2table and ncnn2int8")
    args = parser.parse_args(argv)
    started, log, out = time.time(), [], args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not (args.export / "model.ncnn.param").is_file():
        run([Path(sys.executable).with_name("dae"), "export", "--model", args.model, "--out", args.export, "--ncnn",
             "--mnn", "-q"], log)  # fmt: skip
    for name in PEER_FILES:
        shutil.copy2(args.export / name, out / name)
    digits = export_digits(args.model)
    models = {("ncnn", "fp32"): out / "model.ncnn.param", ("mnn", "fp32"): out / "model.mnn",
              ("mnn", "int8"): out / "model.int8.mnn"}  # fmt: skip
    models[("ncnn", "int8")] = ncnn_int8_kl(models[("ncnn", "fp32")], digits["calib"], args.ncnn_tools, out, log)
    checks = check_all(models, digits)
    record = {"date": time.strftime("%Y-%m-%d"), "model": str(args.model), "commands": log, "checks": checks,
              "seconds": round(time.time() - started, 1)}  # fmt: skip
    (out / "peers.json").write_text(json.dumps(record, indent=1) + "\n")
    failed = [k for k, c in checks.items() if not c["ok"]]
    print(f"peers: {out}: " + (f"outside the gates: {', '.join(failed)}" if failed else "every model within its gate"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
