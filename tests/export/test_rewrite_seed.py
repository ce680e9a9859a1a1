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
    """(plain, fast fp32, int8 source, ARM fp32, ARM int8 sources (no dot product, dot product), each with the first
    conv over 2 columns as quantized) ModelProtos of the one-epoch model."""
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.rewrites.arm import arm_fp32
    from dae_export.rewrites.arm_decoder import decoder_a_per_phase, decoder_at_14
    from dae_export.rewrites.seed import column_phase_encoder, fast_fp32
    from dae_train.evaluate import load_keras_model

    plain = convert_fp32(load_keras_model(trained_model))
    fast = fast_fp32(plain)
    arm_int8 = [decoder_at_14(plain, nhwc=True), decoder_a_per_phase(plain)]
    arm_int8 = [column_phase_encoder(f, columns=2) for f in arm_int8]
    return plain, fast, column_phase_encoder(fast), arm_fp32(plain), *arm_int8


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


def test_the_arm_decoders_do_fewer_multiplications(graphs):
    from onnx import numpy_helper

    def conv_weights(proto) -> int:
        weights = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
        return sum(weights[n.input[1]].size for n in proto.graph.node if n.op_type == "Conv")

    _, fast, _, arm_fp32, _, per_phase = graphs
    assert conv_weights(per_phase) < conv_weights(fast)  # decoder_a: 4 x (2x2) taps per phase, not 3x3
    assert conv_weights(arm_fp32) < conv_weights(per_phase)  # and decoder_b at 14x14: 4 phases, not 16


def test_arm_rewrites_refuse_other_graphs(graphs):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.arm import arm_fp32, last_conv_as_taps
    from dae_export.rewrites.arm_decoder import decoder_a_per_phase, nhwc_pixels
    from dae_export.rewrites.seed import column_phase_encoder

    plain, fast, _, arm, *_ = graphs
    for rewrite in (arm_fp32, decoder_a_per_phase):
        with pytest.raises(RewriteNotApplicable, match="ARM decoder"):
            rewrite(fast)  # already rewritten: no Resize left to match
    with pytest.raises(RewriteNotApplicable, match="last Conv"):
        last_conv_as_taps(arm)  # already rewritten: the last Conv is the 1x1 taps conv
    with pytest.raises(RewriteNotApplicable, match="last Conv"):
        last_conv_as_taps(plain)  # the full-resolution decoder: a 3x3 conv to 1 channel
    with pytest.raises(RewriteNotApplicable, match="decoder_at_14"):
        nhwc_pixels(fast)
    with pytest.raises(ValueError, match="columns"):
        column_phase_encoder(fast, columns=3)


def _bundle_models(out, dest):
    from dae_runtime.bundle import extract_bundle

    return extract_bundle(out / "rpi-bundle.tar.gz", dest)


def test_the_pi_bundle_ships_the_arm_forms_and_the_folder_keeps_the_x86_ones(full_export, tmp_path):
    """--target rpi: the bundle's fp32 has both decoder convs as shifted 2x2 convs, the last as taps (Pad, Sum);
    its int8 files read the image as 2 columns per channel, model.int8.onnx (u8s8) with the NHWC decoder at
    14x14, model.int8.asimddp.onnx (s8s8, the manifest's variant for CPUs with the dot product) with decoder_a
    per phase. The export folder's models (what `make ship` copies into the runtime) stay the x86 forms. Every
    bundle model passes the same checks: parity 1e-4 and the int8 gate."""
    import json

    out, _ = full_export
    folder = _bundle_models(out, tmp_path / "bundle")
    ops = lambda path: Counter(n.op_type for n in onnx.load(str(path)).graph.node)  # noqa: E731
    fp32, int8, dot = (folder / n for n in ("model.onnx", "model.int8.onnx", "model.int8.asimddp.onnx"))
    assert (ops(fp32)["Sum"], ops(fp32)["Pad"], ops(fp32)["DepthToSpace"]) == (1, 1, 2)
    assert ops(out / "model.onnx")["Sum"] == 0 and ops(out / "model.onnx")["DepthToSpace"] == 1
    assert [ops(p)["DepthToSpace"] for p in (int8, dot, out / "model.int8.onnx")] == [0, 0, 1]
    assert ops(dot)["Concat"] == 1 and ops(dot)["Conv"] == 8 and ops(int8)["Conv"] == 5  # decoder_a in 4 phases
    first_conv = lambda path: next(n for n in onnx.load(str(path)).graph.node if n.op_type == "Conv")  # noqa: E731
    for path, columns in ((int8, 2), (dot, 2), (out / "model.int8.onnx", 4)):
        weights = {i.name: i.dims for i in onnx.load(str(path)).graph.initializer}
        name = first_conv(path).input[1].removesuffix("_DequantizeLinear_Output")
        assert list(weights[name + "_quantized"])[1] == columns, path.name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["graph"]["form"] == "fast-arm"
    assert manifest["files"][dot.name] | {"sha256": None, "bytes": None} == {
        "sha256": None, "bytes": None, "engine": "onnxruntime", "precision": "int8", "variant_of": "model.int8.onnx",
        "cpu_features": ["asimddp"],
    }  # fmt: skip
    metrics = manifest["metrics"]
    assert metrics["onnx_fp32"]["max_abs_diff_vs_keras"] <= 1e-4
    assert (metrics["onnx_int8"]["types"], metrics["onnx_int8_asimddp"]["types"]) == ("u8s8", "s8s8")
    assert max(metrics[k]["psnr_loss_vs_fp32_db"] for k in ("onnx_int8", "onnx_int8_asimddp")) <= 0.2
    assert "model.int8.asimddp.onnx" in (folder / "INSTALL.md").read_text()
    x = np.random.default_rng(3).random((2, 32, 36, 1), dtype=np.float32)
    for path, tolerance in ((fp32, 1e-5), (int8, 0.1), (dot, 0.1)):
        x86_form = out / path.name.replace(".asimddp", "")
        assert np.abs(run(onnx.load(str(path)), x) - run(onnx.load(str(x86_form)), x)).max() <= tolerance, path.name


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
    int8 convolutions, pools and reshapes only (in the Pi bundle's u8s8 file, also the uint8 pixel shuffle
    of its decoder at 14x14: one Transpose and a Slice). A float conv, a Resize or more layout Transposes
    inside the network would mean an onnxruntime change undid the speed-up. (The bundle's s8s8 file is
    for ARM's dot product: x86 runs some of its convs in float, so it is not checked here.)"""
    out, _ = full_export
    folder = out if where == "folder" else _bundle_models(out, tmp_path / "bundle")
    x = np.zeros((1, 28, 28, 1), np.float32)
    run(onnx.load(str(folder / "model.int8.onnx")), x, optimized_path=tmp_path / "optimized.onnx")
    ops = [n.op_type for n in onnx.load(str(tmp_path / "optimized.onnx")).graph.node]
    assert ops[0] == "QuantizeLinear" and Counter(ops)["QLinearConv"] == 5
    convs = [i for i, op in enumerate(ops) if op == "QLinearConv"]
    between = ops[convs[0] : convs[-1]]
    shuffle = {"Transpose", "Slice"} if where == "pi bundle" else set()
    assert set(between) <= {"QLinearConv", "NhwcMaxPool", "Reshape"} | shuffle, between
    assert Counter(between)["Transpose"] == len(shuffle) // 2
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
