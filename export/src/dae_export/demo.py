"""`dae demo`: the whole path on the builtin digits, offline, in a few minutes on 2 cores.

train (or take the shipped Keras model) -> evaluate against classical filters -> export
ONNX fp32 + int8 and TFLite -> denoise sample digits with each -> compare every engine.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
import numpy as np

from dae_runtime.cli.options import folder_not_stdout


def shipped_keras_model() -> Path | None:
    """models/seed/model.keras of the checkout the packages are installed from, if any."""
    from dae_export.bundle import runtime_source_dir

    runtime = runtime_source_dir()
    path = runtime.parent / "models" / "seed" / "model.keras" if runtime else None
    return path if path is not None and path.is_file() else None


def _figure(path: Path, rows: list[tuple[str, np.ndarray]]) -> None:
    from dae_train.figures import rows_figure

    rows_figure(path, rows, "Noisy digits through each exported model")


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default=None, callback=folder_not_stdout,
              help="Output folder (default: runs/demo-<date>-<time>, never an existing one).")  # fmt: skip
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True,
              help="Training epochs (the shipped recipe uses 150; see `make model`).")  # fmt: skip
@click.option("--shipped", is_flag=True, help="Skip training: use the shipped model (models/seed/model.keras).")
@click.option("--limit", type=click.IntRange(min=1), default=500, show_default=True, help="Digits to evaluate.")
@click.option("--seed", type=int, default=0, show_default=True)
def demo(out: str | None, epochs: int, shipped: bool, limit: int, seed: int) -> None:
    """Train, evaluate, export (fp32, int8, TFLite), denoise sample digits and compare every engine."""
    from dae_train.console import quiet_tensorflow, user_errors

    quiet_tensorflow()
    from dae_export.bundle import BundleError
    from dae_export.config import ExportConfig
    from dae_export.errors import ExportError
    from dae_export.pipeline import run_export
    from dae_runtime.atomic import write_json
    from dae_runtime.bench import report
    from dae_runtime.bench.engines import discover
    from dae_runtime.bench.runner import BenchConfig, run_benchmark
    from dae_runtime.denoiser import Denoiser
    from dae_train.config import TrainConfig
    from dae_train.evaluate import EvalConfig, evaluate, format_table
    from dae_train.trainer import train

    folder = Path(out) if out else Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")
    with user_errors():
        try:
            if shipped:
                keras_path = shipped_keras_model()
                if keras_path is None:
                    raise click.ClickException("no shipped Keras model found (models/seed/model.keras of a checkout)")
                click.echo(f"[1/5] Using the shipped model {keras_path}")
                folder.mkdir(parents=True, exist_ok=True)
            else:
                click.echo(f"[1/5] Training {epochs} epochs on the builtin digits -> {folder}")
                train(TrainConfig(data="builtin", epochs=epochs, seed=seed), folder)
                keras_path = folder / "model.keras"

            click.echo("[2/5] Evaluating the model and classical filters at sigma 0.1..0.7 (validation digits)")
            rows = evaluate(EvalConfig(str(keras_path), data="builtin", limit=limit, seed=seed))
            table = format_table(rows)
            (folder / "evaluation.md").write_text(table + "\n")
            write_json(folder / "evaluation.json", {"rows": rows})
            click.echo(table)

            click.echo(f"[3/5] Exporting ONNX fp32 + int8 and TFLite -> {folder / 'export'}")
            run_export(ExportConfig(str(keras_path), str(folder / "export"), int8=True, tflite=True),
                       step=lambda s: click.echo(f"      {s}"))  # fmt: skip
        except (ExportError, BundleError) as exc:
            raise click.ClickException(str(exc)) from None

        click.echo("[4/5] Denoising sample digits with each exported model")
        golden = np.load(folder / "export" / "golden.npz")
        pick = np.linspace(0, len(golden["noisy"]) - 1, 10).astype(int)
        noisy = golden["noisy"][pick]
        figure_rows = [("clean", golden["clean"][pick]), ("noisy", noisy), ("keras", golden["keras"][pick])]
        for name in ("model.onnx", "model.int8.onnx"):
            d = Denoiser(folder / "export" / name)
            figure_rows.append((f"onnx {d.precision}", d.denoise_batch(noisy)))
        _figure(folder / "exported_models.png", figure_rows)

        click.echo("[5/5] Comparing Keras, onnxruntime and TFLite side by side (batch 1 and 64)")
        engines = discover(folder / "export", keras_path, None).engines
        clean = golden["clean"][..., 0]
        result = run_benchmark(engines, golden["noisy"], clean, golden["keras"][..., 0],
                               BenchConfig(batches=(1, 64), iters=100, rounds=3, settle_s=0.1))  # fmt: skip
        write_json(folder / "compare.json", result)
        (folder / "compare.md").write_text(report.markdown(result))
        report.plot(result, folder / "compare.png")
        click.echo(report.markdown(result))
    click.echo(
        f"Outputs in {folder}/: model.keras and train_report.json (unless --shipped), clean_vs_noisy.png, "
        "noisy_vs_denoised.png, evaluation.md/.json, export/ (ONNX, TFLite, manifest, golden set), "
        "exported_models.png, compare.md/.json/.png"
    )
