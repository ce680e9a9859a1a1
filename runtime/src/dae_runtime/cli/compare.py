"""`dae compare`: accuracy and latency of the exported models, against the TensorFlow original.

Two uses:
- on a device without TensorFlow: `dae compare --golden golden.npz [--model M]` checks one
  model against the Keras outputs stored at export time, and times it;
- side by side: `dae compare --keras model.keras --models EXPORT_DIR` measures every model of the
  folder whose engine is installed (bench/engines.py: onnxruntime here; Keras and TFLite with the
  export package) in one process, interleaved, and writes JSON, Markdown, a PNG chart and
  github-action-benchmark input;
- several models: `dae compare --models A --models B ...` measures every folder's ONNX models on
  the first folder's golden digits, in one interleaved run, and writes the quality/latency Pareto
  table (bench/pareto.py) and, with --plot, its chart.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from dae_runtime.cli.options import (
    Console,
    file_not_stdout,
    file_target,
    int8_option,
    json_option,
    load_denoiser,
    model_option,
    quiet_option,
    threads_option,
    write_json_output,
)
from dae_runtime.cli.types import FiniteFloatRange

# Largest batch measured: 1024 digits hold about 100 MB per activation of the seed, which a Pi has;
# beyond that a typo (--batch 99999999999) would spend minutes before failing for memory.
MAX_BATCH = 1024


def _sizes(batches: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(b) for b in batches.split(",") if b.strip())
        if not sizes or min(sizes) < 1:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{batches!r} is not a list of positive integers", param_hint="--batch") from None
    if max(sizes) > MAX_BATCH:
        raise click.BadParameter(f"batch sizes go up to {MAX_BATCH}, got {max(sizes)}", param_hint="--batch")
    return sizes


def _check_outputs(*paths: str | None, plot: str | None = None) -> None:
    """Refuse before measuring if a result could not be written afterwards."""
    from dae_runtime.writable import first_unwritable

    reason = first_unwritable([*paths, plot])
    if reason:
        raise click.ClickException(reason)
    if plot:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise click.ClickException("--plot needs matplotlib: pip install matplotlib") from None


@click.command()
@click.option("--keras", "keras_path", type=click.Path(dir_okay=False, exists=True), help="The TensorFlow original.")
@click.option("--models", "models_dirs", type=click.Path(file_okay=False, exists=True), multiple=True,
              help="A `dae export` folder; repeat it to compare models (the Pareto table).")  # fmt: skip
@click.option(
    "--golden", type=click.Path(dir_okay=False, exists=True), help="golden.npz (default: the first --models folder's)."
)
@model_option
@int8_option
@threads_option
@click.option("--batch", "batches", default=None,
              help=f"Batch sizes, at most {MAX_BATCH} [default: 1,64,256; with --golden alone 1,64].")  # fmt: skip
@click.option("--warmup", type=click.IntRange(min=0), default=10, show_default=True)
@click.option("--iters", type=click.IntRange(min=1), default=200, show_default=True,
              help="Timed calls at batch 1 (fewer at large batches).")  # fmt: skip
@click.option("--settle", type=FiniteFloatRange(min=0, max=60), default=0.25, show_default=True,
              help="Pause (s) before each engine's turn, so the last engine's threads stop spinning.")  # fmt: skip
@json_option
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), callback=file_not_stdout,
              help="Write a Markdown table.")  # fmt: skip
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), callback=file_not_stdout,
              help="Write a PNG chart (needs matplotlib).")  # fmt: skip
@click.option("--github-benchmark", "gab_path", type=click.Path(dir_okay=False), callback=file_not_stdout,
              help="Write github-action-benchmark input (customSmallerIsBetter).")  # fmt: skip
@quiet_option
def compare(keras_path, models_dirs, golden, model_path, int8, threads, batches, warmup, iters, settle, json_path,
            markdown_path, plot_path, gab_path, quiet) -> None:  # fmt: skip
    """Accuracy against the TensorFlow original and latency percentiles, for one model or every engine."""
    from dae_runtime.golden_compare import GoldenError, load_golden

    console = Console(quiet=quiet, json_path=json_path)
    models_dir = models_dirs[0] if models_dirs else None
    if models_dir is None and keras_path is None:
        if golden is None:
            raise click.UsageError("give --golden FILE, or --models EXPORT_DIR (and --keras MODEL) to compare engines")
        sizes = _sizes(batches or "1,64")
        _check_outputs(file_target(json_path))
        return _golden_only(golden, model_path, int8, threads, sizes, warmup, iters, console)
    sizes = _sizes(batches or "1,64,256")
    _check_outputs(file_target(json_path), markdown_path, gab_path, plot=plot_path)
    golden = golden or (Path(models_dir) / "golden.npz" if models_dir else None)
    if golden is None or not Path(golden).is_file():
        raise click.UsageError("the comparison needs digits: --golden FILE or an export folder with golden.npz")
    try:
        data = load_golden(golden)
    except GoldenError as exc:
        raise click.ClickException(str(exc)) from None
    if len(models_dirs) > 1:
        _refuse_repeats(models_dirs)
        if keras_path:
            raise click.UsageError("--keras goes with one --models folder (its own original), not several")
        console.progress(f"Every model is scored on the {len(data['noisy'])} golden digits of {golden}")
        return _models_side_by_side(data, models_dirs, threads, sizes, warmup, iters, settle, console,
                                    markdown_path, plot_path, gab_path)  # fmt: skip
    _engines_side_by_side(data, keras_path, models_dir, threads, sizes, warmup, iters,
                          settle, console, markdown_path, plot_path, gab_path)  # fmt: skip


def _engines_side_by_side(data, keras_path, models_dir, threads, sizes, warmup, iters, settle, console, markdown_path,
                          plot_path, gab_path) -> None:  # fmt: skip
    from dae_runtime.bench import report
    from dae_runtime.bench.engines import EngineError, discover, engine_names
    from dae_runtime.bench.runner import BenchConfig, run_benchmark

    try:
        found = discover(Path(models_dir) if models_dir else None, Path(keras_path) if keras_path else None, threads)
    except EngineError as exc:
        raise click.ClickException(f"cannot load an engine: {exc}") from None
    for line in found.skipped:
        click.echo(f"Skipping {line}", err=True)
    engines = found.engines
    if not engines:
        raise click.ClickException(f"no model found that an installed engine runs ({', '.join(engine_names())})")
    noisy = data["noisy"].astype("float32")
    clean = data["clean"][..., 0] if data["clean"].ndim == 4 else data["clean"]
    reference = data["keras"][..., 0] if data["keras"].ndim == 4 else data["keras"]
    cfg = BenchConfig(batches=sizes, warmup=warmup, iters=iters, threads=threads, settle_s=settle)
    console.progress(f"Engines: {', '.join(e.name for e in engines)}; batches {', '.join(map(str, sizes))}")
    with console.bar(length=len(sizes) * cfg.rounds, label="Measuring") as bar:
        result = run_benchmark(engines, noisy, clean, reference, cfg, tick=lambda: bar.update(1 / len(engines)))
    problems = report.validate(result)
    if problems:
        raise click.ClickException(f"internal error, the results do not fit their schema: {problems[0]}")
    _write_outputs(result, report.markdown(result), lambda path: report.plot(result, path), console,
                   markdown_path, plot_path, gab_path)  # fmt: skip


def _golden_only(golden, model_path, int8, threads, sizes, warmup, iters, console) -> None:
    from dae_runtime.golden_compare import GoldenError, compare_with_golden, load_golden, measure_latency

    denoiser = load_denoiser(model_path, int8, threads)
    try:
        data = load_golden(golden)
    except GoldenError as exc:
        raise click.ClickException(str(exc)) from None
    accuracy = compare_with_golden(denoiser, data)
    console.result(
        f"{denoiser.path.name} ({denoiser.precision}) on {accuracy['digits']} golden digits: "
        f"PSNR {accuracy['psnr_db']:.2f} dB (TensorFlow original {accuracy['keras_psnr_db']:.2f} dB), "
        f"SSIM {accuracy['ssim']:.3f}, max abs diff vs TensorFlow {accuracy['max_abs_diff_vs_keras']:.2e}"
    )
    rows = []
    with console.bar(sizes, label="Timing") as bar:
        for size in bar:
            rows.append(measure_latency(denoiser, data["noisy"], size, warmup, iters))
    console.result("\n| batch | p50 ms | p90 ms | p99 ms | images/s |\n|---:|---:|---:|---:|---:|")
    for r in rows:
        console.result(f"| {r.batch} | {r.p50_ms:.3f} | {r.p90_ms:.3f} | {r.p99_ms:.3f} | {r.throughput_ips:,.0f} |")
    if console.json_path:
        write_json_output(
            console.json_path, {"model": str(denoiser.path), "accuracy": accuracy, "latency": [asdict(r) for r in rows]}
        )


def _refuse_repeats(models_dirs) -> None:
    seen: dict[Path, str] = {}
    for folder in models_dirs:
        key = Path(folder).resolve()
        if key in seen:
            raise click.UsageError(f"{folder} is given twice (as {seen[key]} too): compare each model once")
        seen[key] = folder


def _model_label(folder: Path, taken: set[str]) -> str:
    """models/unet/export -> unet; a folder's own name otherwise; its path when names repeat."""
    label = folder.resolve().parent.name if folder.name == "export" else folder.name
    return str(folder) if label in taken else label


def _models_side_by_side(data, models_dirs, threads, sizes, warmup, iters, settle, console, markdown_path,
                         plot_path, gab_path) -> None:  # fmt: skip
    from dae_runtime.bench import pareto
    from dae_runtime.bench.engines import EngineError, discover
    from dae_runtime.bench.runner import BenchConfig, run_benchmark

    engines: list = []
    labels: set[str] = set()
    for folder in map(Path, models_dirs):
        label = _model_label(folder, labels)
        labels.add(label)
        try:
            found = discover(folder, None, threads)
        except EngineError as exc:
            raise click.ClickException(f"cannot load an engine: {exc}") from None
        onnx = [e for e in found.engines if e.engine == "onnxruntime"]
        if not onnx:
            raise click.ClickException(f"{folder} holds no ONNX model (model.onnx, model.int8.onnx)")
        for e in onnx:
            e.model = label
        engines += onnx
    noisy = data["noisy"].astype("float32")
    clean = data["clean"][..., 0] if data["clean"].ndim == 4 else data["clean"]
    cfg = BenchConfig(batches=sizes, warmup=warmup, iters=iters, threads=threads, settle_s=settle)
    console.progress(f"Models: {', '.join(sorted(labels))}; {len(engines)} ONNX files; batches {sizes}")
    with console.bar(length=len(sizes) * cfg.rounds, label="Measuring") as bar:
        result = run_benchmark(engines, noisy, clean, None, cfg, tick=lambda: bar.update(1 / len(engines)))
    result["pareto"] = pareto.table(result["results"])
    _write_outputs(result, pareto.markdown(result["results"]), lambda path: pareto.plot(result["results"], path),
                   console, markdown_path, plot_path, gab_path)  # fmt: skip


def _write_outputs(result, table, plot, console, markdown_path, plot_path, gab_path) -> None:
    """The table to the console, then each requested file (atomically); JSON to stdout for --json -."""
    from dae_runtime.atomic import atomic_path, write_json
    from dae_runtime.bench import report

    console.result(table)
    if console.json_path:
        write_json_output(console.json_path, result)
    if markdown_path:
        with atomic_path(markdown_path) as tmp:
            tmp.write_text(table)
    if gab_path:
        write_json(gab_path, report.github_benchmark(result))
    if plot_path:
        try:
            with atomic_path(plot_path) as tmp:
                plot(tmp)
        except ImportError:
            raise click.ClickException("--plot needs matplotlib: pip install matplotlib") from None
    written = [p for p in (file_target(console.json_path), markdown_path, plot_path, gab_path) if p]
    if written:
        console.progress(f"Wrote {', '.join(written)}")
