"""Runs inside the emulated aarch64 root: every model of a plan (guest_count.py's format) on the same digits,
outputs saved for the host to compare with its own (parity of the ARM kernels: fp16, int8, Winograd).

    python guest_outputs.py PLAN.json DIGITS.npy OUT.npz      (DIGITS: (N, 28, 28, 1) float32)
"""

from __future__ import annotations

import sys

import numpy as np
from guest_count import runner


def main(plan_path: str, digits_path: str, out_path: str) -> int:
    import json
    from pathlib import Path

    plan = json.loads(Path(plan_path).read_text())
    x = np.load(digits_path)
    outputs = {}
    for model in plan["models"]:
        y = runner(model, plan.get("session", {}))(x)
        outputs[f"{model['engine']}:{model['precision']}:{model['name']}"] = np.asarray(y, np.float32).reshape(
            x.shape[:3]
        )
    np.savez(out_path, **outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
