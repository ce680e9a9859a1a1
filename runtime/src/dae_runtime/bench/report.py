"""The comparison as Markdown (ratios vs Keras), a PNG chart, and github-action-benchmark input."""

from __future__ import annotations

from pathlib import Path

REQUIRED_FIELDS = {
    "engine": str, "precision": str, "batch": int, "p50_ms": float, "p90_ms": float, "p99_ms": float,
    "throughput_ips": float, "psnr_db": float, "ssim": float, "model_bytes": int,
}  # fmt: skip


def validate(result: dict) -> list[str]:
    """Problems with a compare JSON against the documented schema (empty list: valid).

    A row's engine must be one this installation has (bench/engines.py's registry)."""
    from dae_runtime.bench.engines import PRECISIONS, engine_names

    engines = engine_names()
    problems = []
    if not isinstance(result.get("machine"), dict):
        problems.append("machine: missing")
    rows = result.get("results")
    if not isinstance(rows, list) or not rows:
        return problems + ["results: missing or empty"]
    for i, row in enumerate(rows):
        for key, kind in REQUIRED_FIELDS.items():
            value = row.get(key)
            ok = (
                isinstance(value, (int, float)) and not isinstance(value, bool)
                if kind is float
                else isinstance(value, kind)
            )
            if not ok:
                problems.append(f"results[{i}].{key}: {value!r} is not {kind.__name__}")
        if row.get("engine") not in engines:
            problems.append(f"results[{i}].engine: {row.get('engine')!r} is not one of {', '.join(engines)}")
        if row.get("precision") not in PRECISIONS:
            problems.append(f"results[{i}].precision: {row.get('precision')!r}")
        diff = row.get("max_abs_diff_vs_keras")
        if diff is not None and not isinstance(diff, (int, float)):
            problems.append(f"results[{i}].max_abs_diff_vs_keras: {diff!r}")
    return problems


def _keras_p50(rows: list[dict]) -> dict[int, float]:
    return {r["batch"]: r["p50_ms"] for r in rows if r["engine"] == "keras"}


def markdown(result: dict) -> str:
    rows, keras = result["results"], _keras_p50(result["results"])
    m = result["machine"]
    lines = [
        f"Machine: {m.get('cpu')} ({m.get('cores')} cores), threads {m.get('threads') or 'all'}, {m.get('date')}",
        "",
        "| engine | precision | batch | p50 ms | p90 ms | p99 ms | images/s | x Keras p50 | PSNR dB | SSIM "
        "| max abs diff vs Keras | model KB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["batch"], r["engine"], r["precision"])):
        ratio = f"{r['p50_ms'] / keras[r['batch']]:.3f}" if r["batch"] in keras else "-"
        diff = "-" if r.get("max_abs_diff_vs_keras") is None else f"{r['max_abs_diff_vs_keras']:.1e}"
        lines.append(
            f"| {r['engine']} | {r['precision']} | {r['batch']} | {r['p50_ms']:.3f} | {r['p90_ms']:.3f} "
            f"| {r['p99_ms']:.3f} | {r['throughput_ips']:,.0f} | {ratio} | {r['psnr_db']:.2f} | {r['ssim']:.3f} "
            f"| {diff} | {r['model_bytes'] / 1024:.0f} |"
        )
    notes = result.get("notes", {})
    if notes:
        lines += ["", "Notes: " + "; ".join(f"{k}: {v}" for k, v in notes.items())]
    return "\n".join(lines) + "\n"


def _machine_line(machine: dict) -> str:
    versions = machine.get("versions") or {}
    threads = machine.get("threads") or "all"
    return (
        f"{machine.get('cpu') or 'unknown CPU'} ({machine.get('machine', '?')}, {machine.get('cores')} cores, "
        f"threads {threads}); features {','.join(machine.get('cpu_features') or []) or 'unknown'}; "
        f"python {machine.get('python', '?')}; onnxruntime {versions.get('onnxruntime', '?')}"
    )


def github_benchmark(result: dict) -> list[dict]:
    """customSmallerIsBetter entries: one p50 latency per engine, precision and batch.

    `range` is the run's own p50-to-p90 spread (github-action-benchmark shows it as an error bar);
    `extra` names the machine, so the history chart tells a runner change from a regression.
    """
    extra = _machine_line(result.get("machine") or {})
    return [
        {
            "name": f"{r.get('model', '')} {r['engine']} {r['precision']} batch {r['batch']} p50".lstrip(),
            "unit": "ms",
            "value": round(r["p50_ms"], 4),
            "range": f"+{max(r['p90_ms'] - r['p50_ms'], 0.0):.4f} (p90)",
            "extra": extra,
        }
        for r in result["results"]
    ]


def plot(result: dict, path: Path) -> None:
    """Grouped bars of p50 latency by batch and engine, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["results"]
    batches = sorted({r["batch"] for r in rows})
    names = list(dict.fromkeys(f"{r['engine']} {r['precision']}" for r in rows))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for i, name in enumerate(names):
        values = [
            next((r["p50_ms"] for r in rows if f"{r['engine']} {r['precision']}" == name and r["batch"] == b), 0)
            for b in batches
        ]
        ax.bar([j + i * width for j in range(len(batches))], values, width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(batches))], [f"batch {b}" for b in batches])
    ax.set_yscale("log")
    ax.set_ylabel("p50 latency, ms (log scale)")
    ax.set_title("Denoising autoencoder latency by engine (lower is better)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
