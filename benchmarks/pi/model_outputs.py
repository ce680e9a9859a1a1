"""Run models on the golden digits, save their outputs, and compare them with another machine's.

    python model_outputs.py GOLDEN OUT.npz NAME=MODEL...                       (on x86: the reference)
    python model_outputs.py GOLDEN OUT.npz --against X86.npz --json F.json NAME=MODEL...   (on the Pi)

Needs only the runtime (numpy, onnxruntime, dae_runtime): it runs in the bundle's venv on the Pi.
Figures per model: PSNR against the clean digits, loss against the fp32 model "fp32", the outputs' sha256
(the same on two machines: bit-identical), and whether they are bit-identical to the reference machine's
(max abs difference otherwise).
"""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np

from dae_runtime.denoiser import Denoiser
from dae_runtime.golden_compare import load_golden
from dae_runtime.metrics import psnr


def figures(outputs: dict[str, np.ndarray], reference: dict[str, np.ndarray], clean: np.ndarray) -> dict:
    base = psnr(outputs["fp32"], clean) if "fp32" in outputs else None
    result = {}
    for name, y in outputs.items():
        f = {
            "psnr_db": round(psnr(y, clean), 4),
            "sha256": hashlib.sha256(np.ascontiguousarray(y).tobytes()).hexdigest(),
        }
        if base is not None and name != "fp32":
            f["psnr_loss_vs_fp32_db"] = round(base - psnr(y, clean), 4)
            f["max_abs_diff_vs_fp32"] = float(np.abs(y - outputs["fp32"]).max())
        if name in reference:
            f["identical_to_reference"] = bool(np.array_equal(y, reference[name]))
            f["max_abs_diff_vs_reference"] = float(np.abs(y - reference[name]).max())
        result[name] = f
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("golden")
    parser.add_argument("out")
    parser.add_argument("models", nargs="+", metavar="NAME=MODEL")
    parser.add_argument("--against", help="Outputs of the same models on the reference machine (.npz).")
    parser.add_argument("--json", dest="json_path", help="Write the figures here.")
    args = parser.parse_args()
    golden = load_golden(args.golden)
    outputs = {}
    for item in args.models:
        name, path = item.split("=", 1)
        # each file as named: the bundle's int8 variant for CPUs with the dot product is compared as itself
        outputs[name] = Denoiser(path, threads=1, for_this_cpu=False).denoise_batch(golden["noisy"])
    np.savez(args.out, **outputs)
    reference = dict(np.load(args.against)) if args.against else {}
    result = figures(outputs, reference, golden["clean"])
    if args.json_path:
        with open(args.json_path, "w") as f:
            json.dump(result, f, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
