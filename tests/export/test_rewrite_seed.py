"""The fast graph computes what tf2onnx's plain graph computes, and onnxruntime runs it as intended."""

from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
import pytest

pytestmark = pytest.mark.slow

SHAPES = [(1, 28, 28, 1), (5, 28, 28, 1), (3, 56, 84, 1), (2, 32, 120, 1), (1, 36, 44, 1)]


@pytest.fixture(scope="module")
def graphs(trained_model):
    """(plain, fast fp32, int8 source, ARM fp32, ARM int8 source) ModelProtos of the one-epoch model."""
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.rewrites.arm import arm_fp32
    from dae_export.rewrites.seed import column_phase_encoder, fast_fp32
    from dae_train.evaluate import load_keras_model

    plain = convert_fp32(load_keras_model(trained_model))
    fast = fast_fp32(plain)
    return plain, fast, column_phase_encoder(fast), arm_fp32(fast), column_phase_encoder(fast, columns=2)


def run(proto, x, optimized_path=None):
    options = ort.SessionOptions()
    if optimized_path:
        options.optimized_model_filepath = str(optimized_path)
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("shape", SHAPES)
def test_rewrites_compute_the_same_function(graphs, shape):
    plain, *rewrites = graphs
    x = np.random.default_rng(sum(shape)).random(shape, dtype=np.float32)
    reference = run(plain, x)
    for rewritten in rewrites:
        out = run(rewritten, x)
        assert out.shape == reference.shape == shape
        assert np.abs(out - reference).max() <= 1e-5  # float rounding only; Keras parity is 1e-4


def test_rewrites_leave_the_input_model_alone_and_refuse_other_graphs(graphs):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.seed import column_phase_encoder, lowres_decoder, transpose_edges

    plain, fast, *_ = graphs
    assert "Resize" in {n.op_type for n in plain.graph.node}  # the rewrites returned copies
    with pytest.raises(RewriteNotApplicable, match="decoder"):
        lowres_decoder(fast)  # already rewritten: no Resize left to match
    with pytest.raises(RewriteNotApplicable, match="edges"):
        transpose_edges(fast)
    with pytest.raises(RewriteNotApplicable, match="encoder"):
        column_phase_encoder(column_phase_encoder(fast))


def test_arm_rewrites_refuse_other_graphs(graphs):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.arm import arm_fp32
    from dae_export.rewrites.seed import column_phase_encoder

    plain, fast, _, arm, _ = graphs
    with pytest.raises(RewriteNotApplicable, match="last Conv"):
        arm_fp32(arm)  # already rewritten: the last Conv is the 1x1 taps conv
    with pytest.raises(RewriteNotApplicable, match="last Conv"):
        arm_fp32(plain)  # the full-resolution decoder: a 3x3 conv to 1 channel
    with pytest.raises(ValueError, match="columns"):
        column_phase_encoder(fast, columns=3)


def _bundle_models(out, dest):
    from dae_runtime.bundle import extract_bundle

    return extract_bundle(out / "rpi-bundle.tar.gz", dest)


def test_the_pi_bundle_ships_the_arm_forms_and_the_folder_keeps_the_x86_ones(full_export, tmp_path):
    """--target rpi: the bundle's fp32 has its last conv as taps (Pad, Sum) and its int8 reads the image
    as 2 columns per channel; the export folder's models (what `make ship` copies into the runtime)
    stay the x86 forms. Both bundle models pass the same checks: parity 1e-4 and the int8 gate."""
    import json

    out, _ = full_export
    folder = _bundle_models(out, tmp_path / "bundle")
    ops = lambda path: Counter(n.op_type for n in onnx.load(str(path)).graph.node)  # noqa: E731
    assert ops(folder / "model.onnx")["Sum"] == 1 and ops(folder / "model.onnx")["Pad"] == 1
    assert ops(out / "model.onnx")["Sum"] == 0 and ops(out / "model.onnx")["Pad"] == 0
    first_conv = lambda path: next(n for n in onnx.load(str(path)).graph.node if n.op_type == "Conv")  # noqa: E731
    weights = {i.name: i.dims for i in onnx.load(str(folder / "model.int8.onnx")).graph.initializer}
    x86_weights = {i.name: i.dims for i in onnx.load(str(out / "model.int8.onnx")).graph.initializer}
    arm_w, x86_w = first_conv(folder / "model.int8.onnx").input[1], first_conv(out / "model.int8.onnx").input[1]
    arm_w, x86_w = (name.removesuffix("_DequantizeLinear_Output") for name in (arm_w, x86_w))
    assert list(weights[arm_w + "_quantized"])[1] == 2 and list(x86_weights[x86_w + "_quantized"])[1] == 4
    assert ops(folder / "model.int8.onnx")["DepthToSpace"] == 0 and ops(out / "model.int8.onnx")["DepthToSpace"] == 1
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["graph"]["form"] == "fast-arm"
    assert manifest["metrics"]["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert manifest["metrics"]["onnx_int8"]["psnr_loss_vs_fp32_db"] <= 0.2
    x = np.random.default_rng(3).random((2, 32, 36, 1), dtype=np.float32)
    for name, tolerance in (("model.onnx", 1e-5), ("model.int8.onnx", 0.1)):
        arm_out = run(onnx.load(str(folder / name)), x)
        assert np.abs(arm_out - run(onnx.load(str(out / name)), x)).max() <= tolerance, name


def test_the_nhwc_output_tail_is_bit_identical_on_any_image_size(full_export):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.arm import nhwc_output_tail

    out, _ = full_export
    int8 = onnx.load(str(out / "model.int8.onnx"))
    rewritten = nhwc_output_tail(int8)
    for shape in SHAPES:
        x = np.random.default_rng(sum(shape)).random(shape, dtype=np.float32)
        assert np.array_equal(run(rewritten, x), run(int8, x)), shape
    with pytest.raises(RewriteNotApplicable, match="DepthToSpace"):
        nhwc_output_tail(rewritten)


@pytest.mark.parametrize("where", ["folder", "pi bundle"])
def test_onnxruntime_runs_the_int8_model_in_uint8_nhwc_throughout(full_export, tmp_path, where):
    """The reason for the rewrite: after onnxruntime's own optimizations, the int8 model is
    int8 convolutions, pools and reshapes only. A float conv, a Resize or layout Transposes
    inside the network would mean an onnxruntime change undid the speed-up."""
    out, _ = full_export
    folder = out if where == "folder" else _bundle_models(out, tmp_path / "bundle")
    x = np.zeros((1, 28, 28, 1), np.float32)
    run(onnx.load(str(folder / "model.int8.onnx")), x, optimized_path=tmp_path / "optimized.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node]
    assert ops[0] == "QuantizeLinear" and Counter(ops)["QLinearConv"] == 5
    convs = [i for i, op in enumerate(ops) if op == "QLinearConv"]
    between = ops[convs[0] : convs[-1]]
    assert set(between) <= {"QLinearConv", "NhwcMaxPool", "Reshape"}, between
    assert "Conv" not in ops and "Resize" not in ops
    assert ops[-1] == "DequantizeLinear"  # the output's layout nodes move bytes, not floats


def test_another_architecture_falls_back_to_the_plain_graph(tmp_path):
    """One upsampling instead of the seed's two: no fast form, but the export still succeeds."""
    import json

    import keras

    from dae_export.config import ExportConfig
    from dae_export.pipeline import run_export

    model = keras.Sequential([
        keras.Input((None, None, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2, padding="same"),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.UpSampling2D(2),
        keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])  # fmt: skip
    model.save(tmp_path / "model.keras")
    steps = []
    run_export(ExportConfig(str(tmp_path / "model.keras"), str(tmp_path / "out"), int8=True), step=steps.append)
    assert any("writing the plain graph" in s for s in steps)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["graph"]["form"] == "plain"
    assert manifest["metrics"]["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
