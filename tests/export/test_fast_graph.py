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
    """(plain, fast fp32, int8 source) ModelProtos of the one-epoch model."""
    from dae_export.fast_graph import column_phase_encoder, fast_fp32
    from dae_export.onnx_fp32 import convert_fp32
    from dae_train.evaluate import load_keras_model

    plain = convert_fp32(load_keras_model(trained_model))
    fast = fast_fp32(plain)
    return plain, fast, column_phase_encoder(fast)


def run(proto, x, optimized_path=None):
    options = ort.SessionOptions()
    if optimized_path:
        options.optimized_model_filepath = str(optimized_path)
    session = ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("shape", SHAPES)
def test_rewrites_compute_the_same_function(graphs, shape):
    plain, fast, int8_source = graphs
    x = np.random.default_rng(sum(shape)).random(shape, dtype=np.float32)
    reference = run(plain, x)
    for rewritten in (fast, int8_source):
        out = run(rewritten, x)
        assert out.shape == reference.shape == shape
        assert np.abs(out - reference).max() <= 1e-5  # float rounding only; Keras parity is 1e-4


def test_rewrites_leave_the_input_model_alone_and_refuse_other_graphs(graphs):
    from dae_export.fast_graph import column_phase_encoder, lowres_decoder, transpose_edges
    from dae_export.onnx_fp32 import ExportError

    plain, fast, _ = graphs
    assert "Resize" in {n.op_type for n in plain.graph.node}  # the rewrites returned copies
    with pytest.raises(ExportError, match="decoder"):
        lowres_decoder(fast)  # already rewritten: no Resize left to match
    with pytest.raises(ExportError, match="edges"):
        transpose_edges(fast)
    with pytest.raises(ExportError, match="encoder"):
        column_phase_encoder(column_phase_encoder(fast))


def test_onnxruntime_runs_the_int8_model_in_uint8_nhwc_throughout(full_export, tmp_path):
    """The reason for the rewrite: after onnxruntime's own optimizations, the int8 model is
    int8 convolutions, pools and reshapes only. A float conv, a Resize or layout Transposes
    inside the network would mean an onnxruntime change undid the speed-up."""
    out, _ = full_export
    x = np.zeros((1, 28, 28, 1), np.float32)
    run(onnx.load(str(out / "model.int8.onnx")), x, optimized_path=tmp_path / "optimized.onnx")
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

    from dae_export.pipeline import ExportConfig, run_export

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
