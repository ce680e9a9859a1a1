"""The live loop's rows (live_loop.py): results/arm_cost_live.json, and a table by stage.

Standard library only. A row carries "per_frame" (instructions per frame by stage), engine, precision,
batch (digits per frame), cpu, model, the model file loaded and the loop (serve or out).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

CPU_TITLES = {"cortex-a72": "Cortex-A72 (Pi 4)", "cortex-a76": "Cortex-A76 (Pi 5)"}
COLUMNS = ("capture", "finder", "noise", "model", "compose", "encode", "other")
LOOPS = {"serve": "--headless --serve, 1 viewer", "out": "--headless --out"}
# Issue 24's budget on the A72 with one viewer: everything but the model, and the whole loop per model.
BUT_MODEL, WHOLE = 12e6, {"seed": 30e6, "lowres-unet2": 50e6}


def merge_rows(path: Path, rows: list[dict], started: float) -> list[dict]:
    """Put `rows` into the results list of `path` (made if absent), replacing earlier rows of the same CPU,
    model and loop (a run of one CPU keeps the other's); all the rows it now holds."""
    from dae_runtime.atomic import write_json

    data = json.loads(path.read_text()) if path.exists() else {"results": []}
    new = {(r["cpu"], r["model"], r["loop"]) for r in rows}
    kept = [r for r in data.get("results", []) if (r["cpu"], r["model"], r["loop"]) not in new]
    data["results"] = kept + rows
    data["live_loop"] = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "seconds": round(time.time() - started, 1),
        "method": "live_loop.py: the real dae live session on a 640x480 clip of 10-digit pages, int8 from the Pi "
        "bundle, one onnxruntime thread; per-thread counters; per frame over frames 5..34",
    }
    write_json(path, data)
    return data["results"]


def _verdict(count: float, budget: float) -> str:
    return "met" if count <= budget else "not met"


def _m(x: float) -> str:
    return f"{x / 1e6:.2f}"


def markdown(rows: list[dict]) -> str:
    date = time.strftime("%Y-%m-%d", time.gmtime())
    lines = [
        f"Instructions per frame (millions) of the live loop, {date}: the real `dae live` session, int8 from the "
        "Pi bundle, one onnxruntime thread, 640x480 pages of about 10 handwritten digits (benchmarks/arm_cost/"
        "live_loop.py).",
        "",
        "| model | loop | CPU | digits | " + " | ".join(COLUMNS) + " | whole loop | all but the model |",
        "|---|---|---|---:|" + "---:|" * (len(COLUMNS) + 2),
    ]
    for r in sorted(rows, key=lambda r: (r["model"], r["loop"] != "serve", r["cpu"])):
        p = r["per_frame"]
        cells = " | ".join(_m(p[c]) for c in COLUMNS)
        lines.append(
            f"| {r['model']} | {LOOPS[r['loop']]} | {CPU_TITLES[r['cpu']]} | {r['batch']:.1f} | {cells} | "
            f"{_m(p['total'])} | {_m(p['total'] - p['model'])} |"
        )
    lines += ["", "Issue 24's budget (Cortex-A72, one viewer):", ""]
    for r in rows:
        if r["cpu"] == "cortex-a72" and r["loop"] == "serve" and r["model"] in WHOLE:
            p = r["per_frame"]
            rest, whole, budget = p["total"] - p["model"], p["total"], WHOLE[r["model"]]
            lines.append(
                f"- {r['model']}: all but the model {_m(rest)} M (<= {_m(BUT_MODEL)}: {_verdict(rest, BUT_MODEL)}), "
                f"whole loop {_m(whole)} M (<= {_m(budget)}: {_verdict(whole, budget)}); "
                f"{p['encoded_per_frame']:.2f} views encoded per frame"
            )
    return "\n".join(lines) + "\n"
