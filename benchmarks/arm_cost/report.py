"""The table `make arm-cost` writes (benchmarks/results/arm_cost.md): instructions per inference per engine,
precision, batch and CPU model, then the share of each kernel class (insn_classes.c's encodings)."""

from __future__ import annotations

CLASSES = ("dot", "fp_mul", "int_mac", "fp16_mul", "other")
CLASS_TITLES = {"dot": "dot product (SDOT/UDOT)", "fp_mul": "FMLA/FMUL", "int_mac": "int MAC (SMLAL/UMLAL/SADALP..)",
                "fp16_mul": "fp16 FMLA/FMUL"}  # fmt: skip
CPU_TITLES = {"cortex-a72": "Raspberry Pi 4 (Cortex-A72)", "cortex-a76": "Raspberry Pi 5 (Cortex-A76)"}


def markdown(result: dict) -> str:
    cpus = result["cpus"]
    head = " | ".join(CPU_TITLES[c] for c in cpus)
    lines = [
        f"Instructions per inference under QEMU {result['qemu']} TCG (counting plugin), one thread, "
        f"{result['date']}; models: {result['models_dir']} (ONNX from {result.get('onnx_models_from', 'the folder')}); "
        f"guest: {result['guest']}.",
        "",
        f"| engine | precision | batch | {head} |",
        "|---|---|---:|" + "---:|" * len(cpus),
    ]
    rows = result["results"]
    keys = sorted({(r["engine"], r["precision"], r["batch"]) for r in rows}, key=lambda k: (k[2], k[0], k[1]))
    by = {(r["engine"], r["precision"], r["batch"], r["cpu"]): r for r in rows}
    for key in keys:
        cells = [_cell(by.get((*key, c))) for c in cpus]
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(cells) + " |")
    if any(r.get("replaced") for r in rows):
        lines += [
            "",
            "\\* counted, but not what the runtime loads on that CPU: it loads the manifest's variant for it.",
        ]
    lines += ["", *target_lines(result)]
    lines += ["", "Kernel classes (share of the instructions per inference):", ""]
    lines += [
        "| engine | precision | batch | CPU | " + " | ".join(CLASS_TITLES.get(c, c) for c in CLASSES) + " |",
        "|---|---|---:|---|" + "---:|" * len(CLASSES),
    ]
    for key in keys:
        for c in cpus:
            if (*key, c) not in by:
                continue
            p = by[(*key, c)]["per_inference"]
            shares = " | ".join(f"{100 * p[k] / p['total']:.1f} %" for k in CLASSES)
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {c} | {shares} |")
    return "\n".join(lines) + "\n"


def _cell(row: dict | None) -> str:
    return "-" if row is None else f"{row['per_inference']['total']:,.0f}" + (" \\*" if row.get("replaced") else "")


TARGET = 0.9  # issue 26: the bundle's best onnxruntime form at most 0.9x every peer's best form


def best_forms(result: dict) -> list[dict]:
    """Per CPU and batch: onnxruntime's cheapest form and the cheapest form of any other engine."""
    cells = []
    for cpu in result["cpus"]:
        for batch in sorted({r["batch"] for r in result["results"]}):
            rows = [r for r in result["results"] if r["cpu"] == cpu and r["batch"] == batch]
            ours = [r for r in rows if r["engine"] == "onnxruntime" and not r.get("replaced")]  # what it loads there
            peers = [r for r in rows if r["engine"] != "onnxruntime"]
            if not ours or not peers:
                continue
            best, peer = (min(rs, key=lambda r: r["per_inference"]["total"]) for rs in (ours, peers))
            ratio = best["per_inference"]["total"] / peer["per_inference"]["total"]
            cells.append({"cpu": cpu, "batch": batch, "ours": best, "peer": peer, "ratio": ratio})
            cells[-1]["met"] = ratio <= TARGET
    return cells


def target_lines(result: dict) -> list[str]:
    lines = [
        f"Issue 26's target: onnxruntime's best form at most {TARGET}x the best form of every other engine.",
        "",
        "| CPU | batch | onnxruntime best | best peer | ratio | met |",
        "|---|---:|---|---|---:|---|",
    ]
    for c in best_forms(result):
        ours, peer = c["ours"], c["peer"]
        lines.append(
            f"| {c['cpu']} | {c['batch']} | {ours['precision']} {ours['per_inference']['total']:,.0f} | "
            f"{peer['engine']} {peer['precision']} {peer['per_inference']['total']:,.0f} | {c['ratio']:.3f} | "
            f"{'yes' if c['met'] else 'no'} |"
        )
    return lines
