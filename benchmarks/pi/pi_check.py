"""`make pi-check`: the current code's Raspberry Pi bundle on an emulated Raspberry Pi OS 64-bit.

An arm64 Debian 12 "bookworm" root (build_root.sh: Python 3.11.2 and no libGL, like Raspberry Pi OS
Lite) runs under qemu-user with the CPU model of a Pi 4 (cortex-a72) and a Pi 5 (cortex-a76), never
QEMU's default `max` (SVE, i8mm: kernels no Pi runs). For each CPU the bundle is installed exactly as
its INSTALL.md says, then every command a Pi user runs is tried and the outputs are compared with the
same models on this x86 host. Writes benchmarks/results/pi_check.json; exits 1 on any failure and 2,
with one line, when it cannot run here. Needs root (chroot, mount namespaces); not part of `make test`.
Emulated timings say nothing about a Pi's speed: they only show where the time of the check goes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from pi_report import markdown
from pi_runners import PI_CPUS, CannotRun, Guest, Native, check_host
from pi_steps import DEFAULT_ROOT, REPO, PiCheck

REPORT = REPO / "benchmarks" / "results" / "pi_check.json"
CPUS = ("cortex-a72", "cortex-a76")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpus", default=",".join(CPUS), help="QEMU CPU models (default: %(default)s)")
    parser.add_argument("--model", default=str(REPO / "models" / "seed" / "model.keras"))
    parser.add_argument("--runtime-wheel", help="Bundle this runtime wheel instead of one built from the checkout.")
    parser.add_argument(
        "--no-int8-study",
        dest="int8_study",
        action="store_false",
        help="Skip the u8s8-vs-s8s8 exports (two extra exports on the host).",
    )
    parser.add_argument("--work", help="Work folder (default: a new temporary one).")
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="Only build the bundle, inputs and x86 outputs into --work (for the arm64 CI job).",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="Check a --work folder prepared elsewhere on this aarch64 machine, without QEMU.",
    )
    parser.add_argument(
        "--prepared", action="store_true", help="--work was already prepared (--prepare-only): check it as it is."
    )
    parser.add_argument("--name", default="pi-check", help="Home folders in the root: /opt/NAME-CPU.")
    parser.add_argument("--report", default=str(REPORT))
    return parser.parse_args(argv)


def _write_report(report: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
    if report["cpus"]:
        path.with_suffix(".md").write_text(markdown(report))


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    cpus = ["native"] if args.native else [c.strip() for c in args.cpus.split(",") if c.strip()]
    unknown = [c for c in cpus if c not in PI_CPUS and not args.native]
    if unknown:
        print(f"pi-check: unknown CPU model {', '.join(unknown)}; choose from {', '.join(PI_CPUS)}", file=sys.stderr)
        return 2
    if args.native and platform.machine() != "aarch64":
        print(f"pi-check: --native needs an aarch64 machine, this is {platform.machine()}", file=sys.stderr)
        return 2
    if not (args.native or args.prepare_only):
        try:
            check_host(Path(os.environ.get("DAE_PI_ROOT", DEFAULT_ROOT)))
        except CannotRun as exc:
            print(f"pi-check: cannot run: {exc}", file=sys.stderr)
            return 2
    check = PiCheck(args)
    print(f"pi-check: work folder {check.work}", flush=True)
    try:
        if args.native:
            check.results.append(check.check(Native(check.work, check.logs)))
        elif args.prepare_only:
            return 0 if check.prepare() else 1
        else:
            if check.build_root() and (args.prepared or check.prepare()):
                for cpu in cpus:
                    check.results.append(check.check(Guest(check.root, cpu, check.logs, args.name)))
    except CannotRun as exc:
        print(f"pi-check: cannot run: {exc}", file=sys.stderr)
        return 2
    report = check.report(cpus)
    _write_report(report, Path(args.report))
    for r in check.results:
        f = r.figures
        print(f"pi-check {r.cpu}: Python {r.python}, {sum(s.ok for s in r.steps)}/{len(r.steps)} steps ok, "
              f"fp32 max diff vs Keras {f.get('fp32_max_abs_diff_vs_keras', float('nan')):.1e}, "
              f"int8 ({f.get('int8_types')}) PSNR loss {f.get('int8_psnr_loss_db', float('nan')):.3f} dB, "
              f"int8 identical to x86: {f.get('int8_identical_to_x86')}")  # fmt: skip
    print(f"pi-check: {'PASSED' if report['ok'] else 'FAILED'}; report {args.report}, logs {check.logs}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
