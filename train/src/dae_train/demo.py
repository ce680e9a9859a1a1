"""`dae demo`: the whole training side on the builtin digits, in a few minutes, offline."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: runs/demo-<date>-<time>, never an existing one).",
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Training epochs (the shipped recipe uses more; see `make model`).",
)
@click.option("--limit", type=click.IntRange(min=1), default=500, show_default=True, help="Digits to evaluate.")
@click.option("--seed", type=int, default=0, show_default=True)
def demo(out: str | None, epochs: int, limit: int, seed: int) -> None:
    """Train on the builtin MNIST digits, evaluate against classical filters, draw the figures."""
    from dae_train.cli import quiet_tensorflow, user_errors

    quiet_tensorflow()
    from dae_runtime.atomic import write_json
    from dae_train.config import TrainConfig
    from dae_train.evaluate import EvalConfig, evaluate, format_table
    from dae_train.trainer import train

    folder = Path(out) if out else Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")
    with user_errors():
        click.echo(f"[1/2] Training {epochs} epochs on the builtin digits -> {folder}")
        train(TrainConfig(data="builtin", epochs=epochs, seed=seed), folder)
        click.echo("[2/2] Evaluating the model and classical filters at sigma 0.1..0.7 (validation digits)")
        cfg = EvalConfig(str(folder / "model.keras"), data="builtin", limit=limit, seed=seed)
        rows = evaluate(cfg)
        table = format_table(rows)
        (folder / "evaluation.md").write_text(table + "\n")
        write_json(folder / "evaluation.json", {"rows": rows})
    click.echo(table)
    click.echo(
        f"\nOutputs in {folder}/: model.keras, train_report.json, clean_vs_noisy.png, "
        "noisy_vs_denoised.png, evaluation.md, evaluation.json"
    )
