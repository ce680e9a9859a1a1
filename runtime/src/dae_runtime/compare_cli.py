"""`dae compare --golden`: on a device without TensorFlow, accuracy vs the TF original and latency."""

from __future__ import annotations

import sys
from dataclasses import asdict

import click

from dae_runtime.denoise_cli import int8_option, load_denoiser, model_option, threads_option


@click.command()
@click.option("--golden", type=click.Path(dir_okay=False, exists=True), required=True, help="golden.npz of an export.")
@model_option
@int8_option
@threads_option
@click.option("--batch", "batches", default="1,64", show_default=True, help="Comma-separated batch sizes to time.")
@click.option("--warmup", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--iters", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON.")
def compare(golden, model_path, int8, threads, batches, warmup, iters, json_path) -> None:
    """Accuracy against the TensorFlow original's stored outputs (golden.npz), and latency percentiles."""
    from dae_runtime.atomic import write_json
    from dae_runtime.golden_compare import GoldenError, compare_with_golden, load_golden, measure_latency

    try:
        sizes = [int(b) for b in batches.split(",") if b.strip()]
        if not sizes or min(sizes) < 1:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{batches!r} is not a list of positive integers", param_hint="--batch") from None
    denoiser = load_denoiser(model_path, int8, threads)
    try:
        data = load_golden(golden)
    except GoldenError as exc:
        raise click.ClickException(str(exc)) from None
    accuracy = compare_with_golden(denoiser, data)
    click.echo(
        f"{denoiser.path.name} ({denoiser.precision}) on {accuracy['digits']} golden digits: "
        f"PSNR {accuracy['psnr_db']:.2f} dB (TensorFlow original {accuracy['keras_psnr_db']:.2f} dB), "
        f"SSIM {accuracy['ssim']:.3f}, max abs diff vs TensorFlow {accuracy['max_abs_diff_vs_keras']:.2e}"
    )
    rows = []
    with click.progressbar(sizes, label="Timing", file=sys.stderr) as bar:
        for size in bar:
            rows.append(measure_latency(denoiser, data["noisy"], size, warmup, iters))
    click.echo("\n| batch | p50 ms | p90 ms | p99 ms | images/s |\n|---:|---:|---:|---:|---:|")
    for r in rows:
        click.echo(f"| {r.batch} | {r.p50_ms:.3f} | {r.p90_ms:.3f} | {r.p99_ms:.3f} | {r.throughput_ips:,.0f} |")
    if json_path:
        write_json(json_path, {"model": str(denoiser.path), "accuracy": accuracy, "latency": [asdict(r) for r in rows]})
