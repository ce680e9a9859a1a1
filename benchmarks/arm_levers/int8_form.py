"""The Pi bundle's int8 recipe (dae_export.steps.arm_forms._int8) applied to any fast-graph fp32 ONNX, for lever
prototypes (issue 26): quantize_with_gate (u8s8 unless --types, first conv over 2 columns, the export's
calibration digits and 0.2 dB gate on its validation digits), then arm_rewrites.nhwc_output_tail where it
fits and is bit-identical. Prints the gate's figures.

    python benchmarks/arm_levers/int8_form.py FAST_FP32.onnx OUT.int8.onnx [--model models/seed/model.keras]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "peers"))


def int8_form(fp32: Path, out: Path, digits: dict, types: str = "u8s8", columns: int = 2) -> dict:
    import onnx

    from dae_export import quantize
    from dae_export.errors import RewriteNotApplicable
    from dae_export.parity import run_onnx
    from dae_export.rewrites import arm as arm_rewrites

    result = quantize.quantize_with_gate(
        fp32, out, digits["calib"], digits["val_noisy"], digits["val_clean"], 0.2, types, fast=True,
        encoder_columns=columns, size_multiple=4,
    )  # fmt: skip
    gated, tail = run_onnx(out, digits["val_noisy"]), "kept"
    try:
        tailed = arm_rewrites.nhwc_output_tail(onnx.load(str(out)))
        probe = out.with_suffix(".tail.onnx")
        onnx.save(tailed, str(probe))
        if np.array_equal(run_onnx(probe, digits["val_noisy"]), gated):
            onnx.save(tailed, str(out))
            tail = "nhwc_output_tail"
        probe.unlink()
    except RewriteNotApplicable:
        pass
    return {"psnr_loss_vs_fp32_db": result.psnr_loss_db, "float_nodes": result.excluded_nodes, "tail": tail,
            "nodes": len(onnx.load(str(out)).graph.node)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from convert import export_digits

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fp32", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", type=Path, default=HERE.parents[1] / "models/seed/model.keras")
    parser.add_argument("--types", default="u8s8")
    parser.add_argument("--columns", type=int, default=2, help="first conv over 2 (ARM bundle) or 4 (x86) columns")
    args = parser.parse_args(argv)
    print(int8_form(args.fp32, args.out, export_digits(args.model), args.types, args.columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
