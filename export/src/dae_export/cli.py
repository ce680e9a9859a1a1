"""`dae export`: a thin click wrapper over dae_export.pipeline.run_export.

Importing this module must stay cheap and TensorFlow-free (`dae --help` loads it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dae_export.config import GRAPHS, INT8_TYPES, TARGETS
from dae_export.config import ExportConfig as Defaults
from dae_runtime.cli.options import Console, folder_not_stdout, quiet_option
from dae_runtime.noise import NOISE_KINDS


def _defaulted(flag: str, field: str, kind, text: str, **extra):
    """An option whose default is ExportConfig's, shown in --help."""
    return click.option(flag, field, type=kind, default=getattr(Defaults, field), show_default=True, help=text, **extra)


@click.command()
@click.option("--model", "model_path", type=click.Path(dir_okay=False), required=True, help="Trained model.keras.")
@click.option(
    "--out", type=click.Path(file_okay=False), required=True, callback=folder_not_stdout, help="Output folder."
)
@click.option("--opset", type=click.IntRange(13, 21), default=Defaults.opset, show_default=True)
@_defaulted(
    "--graph",
    "graph",
    click.Choice(GRAPHS),
    "fast: an exact rewrite onnxruntime runs fastest; plain: the graph as tf2onnx converts it.",
)
@click.option("--int8", is_flag=True, help="Also write model.int8.onnx (static int8, QDQ, calibrated).")
@_defaulted(
    "--int8-types",
    "int8_types",
    click.Choice(INT8_TYPES),
    "Activation/weight types: u8s8 for x86 (VNNI), s8s8 for ARM kernels.",
)
@_defaulted("--calib-samples", "calib_samples", click.IntRange(min=16), "Noisy training digits used to calibrate int8.")
@_defaulted(
    "--max-int8-loss",
    "max_int8_loss_db",
    click.FloatRange(min=0),
    "Largest PSNR loss (dB) of int8 against fp32 that is accepted.",
)
@click.option("--tflite", is_flag=True, help="Also write model.tflite and model.int8.tflite.")
@click.option("--ncnn", is_flag=True, help="Also write ncnn fp32 and int8 models (model[.int8].ncnn.param/.bin).")
@click.option("--mnn", is_flag=True, help="Also write MNN fp32 and int8 models (model.mnn, model.int8.mnn).")
@_defaulted("--target", "target", click.Choice(TARGETS), "rpi: also write rpi-bundle.tar.gz for a 64-bit Raspberry Pi.")
@_defaulted(
    "--data", "data", None, "Digits for calibration, validation and the golden set.", metavar="auto|builtin|PATH"
)
@click.option(
    "--noise-kind",
    type=click.Choice(NOISE_KINDS),
    default=None,
    help="Noise for calibration, checks and metadata (default: the model's training noise).",
)
@click.option("--noise", type=click.FloatRange(min=0), default=None, help="Noise level (default: as trained).")
@click.option(
    "--runtime-wheel",
    type=click.Path(dir_okay=False, exists=True),
    help="Runtime wheel to put in the bundle (default: built from this checkout).",
)
@quiet_option
def export(model_path: str, out: str, quiet: bool, **options: Any) -> None:
    """Convert a trained Keras model to ONNX (fp32, optional int8), checked against Keras.

    Writes OUT/model.onnx, OUT/manifest.json and OUT/golden.npz; --int8, --tflite, --ncnn,
    --mnn and --target rpi add their files. Files already in OUT are replaced only if the whole
    export succeeds.
    """
    from dae_train.console import quiet_tensorflow, user_errors

    quiet_tensorflow()
    from dae_export.bundle import BundleError
    from dae_export.errors import ExportError
    from dae_export.pipeline import format_summary, run_export

    with user_errors():
        try:
            summary = run_export(Defaults(model_path, out, **options), step=Console(quiet=quiet).progress)
        except (ExportError, BundleError) as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(format_summary(summary, Path(out)))
