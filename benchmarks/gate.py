"""The CI gate on a `dae compare` JSON: ratios and accuracy, never absolute times.

    python benchmarks/gate.py benchmarks/results/compare.json

Exits 1 naming every check that regressed, 0 if all hold. The thresholds are the
project's promises (see benchmarks/README.md): onnxruntime far ahead of Keras, and at least
level with TFLite (XNNPACK) at batch 1 and in throughput, with int8 within its accuracy bound.

The onnxruntime-vs-TFLite checks were validated only on the CPUs in VALIDATED_ON: each engine picks
its kernels by CPU feature (onnxruntime's int8 wins through AVX512-VNNI), so on a CPU without those
features (a GitHub runner without VNNI, an arm64 runner) they are reported as notes, not failures.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    ort_fp32_vs_keras_batch1: float = 0.1  # onnxruntime fp32 batch-1 p50 at most 0.1x Keras'
    # The performance issue's promises, checked when TFLite ran too (it is optional on a device):
    # onnxruntime p50 at batch 1 at most TFLite's, per precision, with 10 % for run-to-run noise
    # (measured 0.54-0.93x; the plain graph's int8 was 1.6x, so a regression still fails)
    ort_vs_tflite_batch1: float = 1.1
    ort_vs_tflite_throughput: float = 1.0  # onnxruntime's best images/s at the largest batch >= TFLite's best
    int8_psnr_loss_db: float = 0.3  # onnxruntime int8 PSNR at most 0.3 dB below fp32
    parity: float = 1e-4  # onnxruntime fp32 max abs diff vs Keras


@dataclass(frozen=True)
class Validated:
    machine: str  # platform.machine()
    features: tuple[str, ...]  # every one in the compare JSON's machine.cpu_features
    where: str  # the CPU the promise was measured on


# ARM is measured by instruction counts under emulation (benchmarks/arm_cost), not by wall time yet.
VALIDATED_ON = (
    Validated("x86_64", ("avx512_vnni",), "Intel Xeon with AVX-512 VNNI and AMX (2026-11-25, benchmarks/README.md)"),
)


def engine_checks_scope(machine: dict | None) -> str | None:
    """None when the onnxruntime-vs-TFLite checks apply to this machine, else why they do not.

    A result without cpu_features (older files) is checked as before."""
    if not isinstance(machine, dict) or machine.get("cpu_features") is None:
        return None
    have = set(machine["cpu_features"])
    for v in VALIDATED_ON:
        if machine.get("machine") == v.machine and have.issuperset(v.features):
            return None
    where = "; ".join(f"{v.machine} with {', '.join(v.features)}" for v in VALIDATED_ON)
    return (
        f"onnxruntime-vs-TFLite speed checks not enforced: validated only on {where}; this CPU is "
        f"{machine.get('machine')} with {', '.join(sorted(have)) or 'none of the kernel features'}"
    )


def _row(rows: list[dict], engine: str, precision: str, batch: int) -> dict | None:
    return next((r for r in rows if (r["engine"], r["precision"], r["batch"]) == (engine, precision, batch)), None)


def _malformed(rows: list) -> list[str]:
    problems = []
    for i, r in enumerate(rows):
        for key in ("p50_ms", "psnr_db"):
            value = r.get(key) if isinstance(r, dict) else None
            if not isinstance(value, (int, float)) or not math.isfinite(value) or (key == "p50_ms" and value <= 0):
                problems.append(f"malformed: results[{i}].{key} is {value!r}")
    return problems


def _against_tflite(rows: list[dict], limits: Limits) -> list[str]:
    failures = []
    for precision in ("fp32", "int8"):
        ours, peer = _row(rows, "onnxruntime", precision, 1), _row(rows, "tflite", precision, 1)
        if ours and peer and ours["p50_ms"] > peer["p50_ms"] * limits.ort_vs_tflite_batch1:
            failures.append(
                f"speed: onnxruntime {precision} batch-1 p50 {ours['p50_ms']:.3f} ms is "
                f"{ours['p50_ms'] / peer['p50_ms']:.2f}x TFLite {precision}'s (limit {limits.ort_vs_tflite_batch1}x)"
            )
    both = {r["batch"] for r in rows if r["engine"] == "onnxruntime"} & {
        r["batch"] for r in rows if r["engine"] == "tflite"
    }
    if not both:
        return failures
    largest = max(both)  # the largest batch both engines ran

    def best(engine: str) -> float:
        return max(largest / r["p50_ms"] * 1e3 for r in rows if r["engine"] == engine and r["batch"] == largest)

    ours, peer = best("onnxruntime"), best("tflite")
    if ours < peer * limits.ort_vs_tflite_throughput:
        failures.append(
            f"speed: onnxruntime's best batch-{largest} throughput {ours:,.0f} images/s is below TFLite's {peer:,.0f}"
        )
    return failures


def check(result: dict, limits: Limits = Limits(), notes: list[str] | None = None) -> list[str]:
    """The failed checks, as sentences; an empty list means the gate passes.

    Checks that do not apply to this CPU go, as sentences, into `notes` when it is given."""
    rows = result.get("results", []) if isinstance(result, dict) else []
    failures = _malformed(rows)
    if failures:
        return failures
    keras, fp32 = _row(rows, "keras", "fp32", 1), _row(rows, "onnxruntime", "fp32", 1)
    if keras is None or fp32 is None:
        failures.append("missing rows: the gate needs keras fp32 and onnxruntime fp32 at batch 1")
    else:
        ratio = fp32["p50_ms"] / keras["p50_ms"]
        if ratio > limits.ort_fp32_vs_keras_batch1:
            failures.append(
                f"speed: onnxruntime fp32 batch-1 p50 is {ratio:.3f}x Keras (limit {limits.ort_fp32_vs_keras_batch1}x)"
            )
    for r in rows:
        if r["engine"] == "onnxruntime" and r["precision"] == "fp32":
            diff = r.get("max_abs_diff_vs_keras")
            if not isinstance(diff, (int, float)) or not math.isfinite(diff) or diff > limits.parity:
                failures.append(f"parity: onnxruntime fp32 differs from Keras by {diff} at batch {r['batch']}")
                break
    engine_failures = _against_tflite(rows, limits)
    scope = engine_checks_scope(result.get("machine"))
    if scope is None:
        failures += engine_failures
    elif notes is not None:
        notes.append(scope)
        notes += [f"(not enforced) {f}" for f in engine_failures]
    int8 = _row(rows, "onnxruntime", "int8", 1)
    if int8 is None:
        failures.append("missing rows: the gate needs onnxruntime int8 at batch 1")
    elif fp32 is not None and fp32["psnr_db"] - int8["psnr_db"] > limits.int8_psnr_loss_db:
        failures.append(
            f"accuracy: int8 loses {fp32['psnr_db'] - int8['psnr_db']:.3f} dB PSNR against fp32 "
            f"(limit {limits.int8_psnr_loss_db} dB)"
        )
    return failures


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    notes: list[str] = []
    try:
        with open(argv[1]) as f:
            failures = check(json.load(f), notes=notes)
    except (OSError, ValueError) as exc:
        failures = [f"unreadable results {argv[1]}: {exc}"]
    for note in notes:
        print(f"NOTE {note}")
    for failure in failures:
        print(f"REGRESSION {failure}")
    print("gate: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
