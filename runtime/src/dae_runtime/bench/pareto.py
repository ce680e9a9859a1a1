"""Quality against latency over several models: which ones are worth their cost (the Pareto front).

Input: the rows of one `dae compare` run over several export folders (each row names its model,
engine, precision and batch, with its PSNR on the shared golden digits and its p50 latency).
A model is on the front at a batch size when no other is at least as fast and at least as good,
and strictly better in one of the two.
"""

from __future__ import annotations

from pathlib import Path


def _key(row: dict) -> tuple[str, str, str]:
    return row.get("model", ""), row["engine"], row["precision"]


def on_front(rows: list[dict], batch: int) -> set[tuple[str, str, str]]:
    """The (model, engine, precision) points of `batch` that no other point dominates."""
    points = [r for r in rows if r["batch"] == batch]
    front = set()
    for r in points:
        dominated = any(
            o["p50_ms"] <= r["p50_ms"]
            and o["psnr_db"] >= r["psnr_db"]
            and (o["p50_ms"] < r["p50_ms"] or o["psnr_db"] > r["psnr_db"])
            for o in points
        )
        if not dominated:
            front.add(_key(r))
    return front


def table(rows: list[dict]) -> list[dict]:
    """One row per (model, engine, precision): PSNR and p50 at every batch, with front membership."""
    batches = sorted({r["batch"] for r in rows})
    fronts = {b: on_front(rows, b) for b in batches}
    merged: dict[tuple[str, str, str], dict] = {}
    for r in rows:
        key = _key(r)
        entry = merged.setdefault(key, {"model": key[0], "engine": key[1], "precision": key[2],
                                        "psnr_db": r["psnr_db"], "p50_ms": {}, "front": []})  # fmt: skip
        entry["p50_ms"][r["batch"]] = r["p50_ms"]
        if key in fronts[r["batch"]]:
            entry["front"].append(r["batch"])
    return sorted(merged.values(), key=lambda e: (-e["psnr_db"], e["model"], e["engine"], e["precision"]))


def markdown(rows: list[dict]) -> str:
    batches = sorted({r["batch"] for r in rows})
    head = "| model | engine | precision | PSNR dB (golden) | " + " | ".join(f"p50 ms b{b}" for b in batches)
    lines = [head + " | on the front at |", "|---|---|---|---:|" + "---:|" * len(batches) + "---|"]
    for e in table(rows):
        cells = " | ".join(f"{e['p50_ms'][b]:.3f}" if b in e["p50_ms"] else "-" for b in batches)
        front = ", ".join(f"b{b}" for b in e["front"]) or "-"
        lines.append(f"| {e['model']} | {e['engine']} | {e['precision']} | {e['psnr_db']:.2f} | {cells} | {front} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    """PSNR against p50 latency, one panel per batch size, the front drawn as a line (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    batches = sorted({r["batch"] for r in rows})
    fig, axes = plt.subplots(1, len(batches), figsize=(5 * len(batches), 4), squeeze=False)
    for ax, batch in zip(axes[0], batches, strict=True):
        points = [r for r in rows if r["batch"] == batch]
        front = on_front(rows, batch)
        for r in points:
            marker = "o" if r["precision"] == "fp32" else "s"
            ax.scatter(r["p50_ms"], r["psnr_db"], marker=marker, color="C0" if _key(r) in front else "0.6")
            engine = "" if r["engine"] == "onnxruntime" else f" {r['engine']}"
            ax.annotate(f"{r.get('model', '')}{engine} {r['precision']}", (r["p50_ms"], r["psnr_db"]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")  # fmt: skip
        line = sorted((r["p50_ms"], r["psnr_db"]) for r in points if _key(r) in front)
        ax.plot([p[0] for p in line], [p[1] for p in line], color="C0", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel(f"p50 latency at batch {batch} (ms, log)")
        ax.set_ylabel("PSNR on the golden digits (dB)")
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)
