"""Every zoo architecture through the toolkit on a short run: train, export, runtime.

One test per architecture (1 epoch, batch 64, builtin digits). The seed itself is covered
by test_export_onnx.py; the U-Net case also trains blind (a noise range) so that path is
exported and described end to end.
"""

import json
from collections import Counter

import keras
import numpy as np
import pytest

from dae_runtime.denoiser import Denoiser
from dae_runtime.manifest import verify_manifest
from dae_runtime.metrics import psnr

pytestmark = pytest.mark.slow

CASES = {
    # arch: (noise, ops the exported graph must carry for its skips, graph form)
    # seed-skip: its last Resize went into a phase conv + DepthToSpace (dae_export.rewrites.skips)
    "seed-skip": ({"noise": 0.5}, Counter(Add=2, Resize=1, DepthToSpace=1), "fast-skip"),
    "unet": ({"noise": 0.1, "noise_max": 0.7}, Counter(Concat=2, Resize=2), "plain"),
    # lowres-unet: both upsamples went into phase convs (dae_export.rewrites.phases); trained with warps
    "lowres-unet": ({"noise": 0.5, "rotate": 10.0, "scale": 0.1}, Counter(Add=1, DepthToSpace=2), "fast-phase"),
    "lowres-unet2": ({"noise": 0.5}, Counter(Add=1, DepthToSpace=2), "fast-phase"),
}


@pytest.mark.parametrize("arch", sorted(CASES))
def test_architecture_trains_exports_and_runs(arch, tmp_path):
    import onnx

    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export
    from dae_train.config import TrainConfig
    from dae_train.trainer import train

    noise, skip_ops, form = CASES[arch]
    report = train(
        TrainConfig(data="builtin", epochs=1, batch_size=64, arch=arch, seed=3, xla=False, **noise),
        tmp_path / "run",
        verbose=0,
    )
    assert (
        report["config"]["arch"] == arch and report["val_psnr_db"] > report["noisy_psnr_db"] + 1.0
    )  # one epoch already denoises

    out = tmp_path / "export"
    target = "rpi" if arch == "lowres-unet2" else "none"  # one fast-phase model through the Pi bundle's ARM forms
    summary = run_export(ExportConfig(str(tmp_path / "run" / "model.keras"), str(out), int8=True, tflite=True,
                                      target=target), step=lambda s: None)  # fmt: skip
    manifest = verify_manifest(out)
    assert {"model.onnx", "model.int8.onnx", "model.tflite", "model.int8.tflite"} <= set(manifest["files"])
    assert manifest["graph"]["form"] == form
    ops = Counter(n.op_type for n in onnx.load(str(out / "model.onnx")).graph.node)
    assert ops & skip_ops == skip_ops
    assert manifest["input"]["size_multiple"] == 4 and manifest["input"]["digit_size"] == 28
    if "noise_max" in noise:
        assert manifest["noise"] == {"kind": "gaussian", "level": pytest.approx(0.4), "range": [0.1, 0.7]}
    m = summary.metrics
    assert m["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert m["onnx_int8"]["psnr_loss_vs_fp32_db"] <= 0.2
    assert m["tflite_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert m["tflite_int8"]["psnr_db"] > m["keras"]["psnr_db"] - 0.3

    # the runtime: digits and a whole frame, the same function as Keras
    model = keras.models.load_model(tmp_path / "run" / "model.keras", compile=False)
    rng = np.random.default_rng(4)
    frame = rng.random((90, 122), dtype=np.float32)  # not a multiple of 4: denoise() pads and crops
    digits = np.load(out / "golden.npz")["noisy"][:16, ..., 0]
    padded = np.pad(frame, ((0, 2), (0, 2)), mode="edge")
    expected = np.asarray(model(padded[None, ..., None]))[0, :90, :122, 0]
    expected_digits = np.asarray(model(digits[..., None]))[..., 0]
    fp32 = Denoiser(out / "model.onnx")
    assert fp32.size_multiple == 4 and fp32.precision == "fp32"
    assert np.abs(fp32.denoise(frame) - expected).max() <= 1e-4
    assert np.abs(fp32.denoise_batch(digits) - expected_digits).max() <= 1e-4
    int8 = Denoiser(out / "model.int8.onnx")  # int8 rounds: close to Keras on the whole, not per pixel
    assert int8.size_multiple == 4 and int8.precision == "int8"
    assert psnr(int8.denoise(frame), expected) > 25.0
    assert psnr(int8.denoise_batch(digits), expected_digits) > 25.0
    props = {p.key: p.value for p in onnx.load(str(out / "model.int8.onnx")).metadata_props}
    assert json.loads(props["input"])["size_multiple"] == 4
    if target == "rpi":
        _the_pi_bundle_has_the_arm_int8_forms(out, tmp_path, frame)
    _runs_in_the_cli(out, tmp_path)


def _first_conv_columns(path) -> int:
    """How many image columns the int8 model's first conv reads as channels (rewrites.seed.column_phase_encoder)."""
    import onnx

    model = onnx.load(str(path))
    weights = {i.name: i.dims for i in model.graph.initializer}
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    return list(weights[conv.input[1].removesuffix("_DequantizeLinear_Output") + "_quantized"])[1]


def _last_conv_outputs(path) -> int:
    import onnx

    model = onnx.load(str(path))
    weights = {i.name: i.dims for i in model.graph.initializer}
    conv = [n for n in model.graph.node if n.op_type == "Conv"][-1]
    return list(weights[conv.input[1].removesuffix("_DequantizeLinear_Output") + "_quantized"])[0]


def _the_pi_bundle_has_the_arm_int8_forms(out, tmp_path, frame):
    """A fast-phase graph (the lowres U-Nets): the bundle's int8 files are quantized for ARM, u8s8 and s8s8 (the
    variant for the dot product), both reading 2 columns per channel (fewer instructions on the Pi 4 and 5 than the
    x86 file's 4 columns), the u8s8 one with its output conv at 14x14 (4 phase outputs), not in phase space (16);
    the fp32 file and the export folder's models stay as exported."""
    from dae_runtime.bundle import extract_bundle

    folder = extract_bundle(out / "rpi-bundle.tar.gz", tmp_path / "bundle")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["graph"]["form"] == "fast-phase"
    assert (folder / "model.onnx").read_bytes() == (out / "model.onnx").read_bytes()
    dot = "model.int8.asimddp.onnx"
    assert manifest["files"][dot]["variant_of"] == "model.int8.onnx" and manifest["files"][dot]["cpu_features"] == [
        "asimddp"
    ]
    assert [_first_conv_columns(p) for p in (out / "model.int8.onnx", folder / "model.int8.onnx", folder / dot)] == [
        4,
        2,
        2,
    ]
    assert [_last_conv_outputs(p) for p in (out / "model.int8.onnx", folder / "model.int8.onnx", folder / dot)] == [
        16,
        4,
        16,
    ]
    metrics = manifest["metrics"]
    assert (metrics["onnx_int8"]["types"], metrics["onnx_int8_asimddp"]["types"]) == ("u8s8", "s8s8")
    assert max(metrics[k]["psnr_loss_vs_fp32_db"] for k in ("onnx_int8", "onnx_int8_asimddp")) <= 0.2
    x86 = Denoiser(out / "model.int8.onnx").denoise(frame)
    for name in ("model.int8.onnx", dot):  # x86 runs the s8s8 file too, as u8s8
        assert psnr(Denoiser(folder / name).denoise(frame), x86) > 30.0, name


def _runs_in_the_cli(out, tmp_path):
    """`dae denoise`, `dae live` and `dae compare` take the zoo model by --model."""
    import cv2
    from click.testing import CliRunner

    from dae_runtime.cli import main
    from dae_runtime.synthetic import paper_frame, synthetic_digits

    frame = paper_frame(synthetic_digits(8))
    cv2.imwrite(str(tmp_path / "page.png"), frame)
    video = tmp_path / "paper.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 15, (640, 480))
    for _ in range(3):
        writer.write(frame)
    writer.release()
    model = str(out / "model.int8.onnx")
    runs = {
        "denoise": ["denoise", str(tmp_path / "page.png"), "--digits", "--model", model, "--out", str(tmp_path / "d")],
        "live": ["live", "--source", str(video), "--headless", "--out", str(tmp_path / "live.mp4"), "--model", model],
        "compare": ["compare", "--golden", str(out / "golden.npz"), "--model", model, "--batch", "1", "--iters", "3"],
    }
    for name, args in runs.items():
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, f"dae {name}: {result.output}"
    assert (tmp_path / "d" / "page.denoised.png").is_file() and (tmp_path / "live.mp4").stat().st_size > 0
