"""A second path from the input to the output (a full-resolution linear correction, added to the logits
before an Activation layer): the ONNX graph is clean and exact, and the int8 head keeps its fast form."""

from collections import Counter

import numpy as np
import pytest
from rewrite_models import run_proto as _run
from rewrite_models import with_random_biases


@pytest.fixture(scope="module")
def two_path_model():
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    inputs = keras.Input((None, None, 1))
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.UpSampling2D(2)(x)
    logits = layers.Add()([layers.Conv2D(1, 3, padding="same")(x), layers.Conv2D(1, 3, padding="same")(inputs)])
    return with_random_biases(keras.Model(inputs, layers.Activation("sigmoid")(logits)), seed=4)


def test_the_graph_is_clean_and_exact(two_path_model):
    from dae_export.keras_to_onnx import convert_fp32

    proto = convert_fp32(two_path_model)
    ops = Counter(n.op_type for n in proto.graph.node)
    assert ops["Reshape"] == 0  # tf2onnx's identity Reshape of the 1-channel logits is gone
    assert ops["Sigmoid"] == 1 and ops["Conv"] == 4
    rng = np.random.default_rng(7)
    for x in (rng.random((4, 28, 28, 1), dtype=np.float32), rng.random((2, 56, 84, 1), dtype=np.float32)):
        assert np.abs(_run(proto, x) - np.asarray(two_path_model(x))).max() <= 1e-5


def test_the_int8_head_form_keeps_the_shared_input_for_the_other_path(two_path_model):
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.rewrites.seed import column_phase_encoder
    from dae_export.steps.onnx_fp32 import fast_or_plain

    fast, form = fast_or_plain(convert_fp32(two_path_model), "fast", print)
    assert form == "fast-phase"
    columns = column_phase_encoder(fast)
    names = [n.name for n in columns.graph.node]
    assert "input_to_nchw" in names and "input_columns_to_nchw" in names  # both reads of the input stay
    x = np.random.default_rng(8).random((3, 28, 28, 1), dtype=np.float32)
    assert np.abs(_run(columns, x) - _run(fast, x)).max() <= 1e-5


def test_unsupported_activation_layers_are_refused_in_one_line():
    import keras

    from dae_export.errors import ExportError
    from dae_export.keras_to_onnx import check_supported

    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, keras.layers.Activation("softplus")(keras.layers.Conv2D(1, 3, padding="same")(inputs)))
    with pytest.raises(ExportError, match="only relu, sigmoid activation layers are supported"):
        check_supported(model)


def test_a_graph_output_inside_a_layout_chain_keeps_the_chain():
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from dae_export.keras_to_onnx import _drop_identity_reshapes

    axis = numpy_helper.from_array(np.array([4], np.int64), "axis")
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Unsqueeze", ["a", "axis"], ["d"]),
        helper.make_node("Squeeze", ["d", "axis"], ["e"]),
        helper.make_node("Relu", ["e"], ["y"]),
    ]
    io = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", 1, "h", "w"]) for n in ("x", "y")]
    second = helper.make_tensor_value_info("d", TensorProto.FLOAT, ["batch", 1, "h", "w", 1])
    graph = helper.make_graph(nodes, "g", io[:1], [io[1], second], [axis])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    _drop_identity_reshapes(proto)
    assert [n.op_type for n in proto.graph.node] == ["Relu", "Unsqueeze", "Squeeze", "Relu"]
    onnx.checker.check_model(proto, full_check=True)


def test_the_column_head_is_used_only_where_every_allowed_width_divides(two_path_model, tmp_path):
    """The x86 head reads 4 columns as channels; this model (one pooling) allows widths of any even size."""
    import onnx

    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.quantize import quantize_with_gate
    from dae_export.steps.onnx_fp32 import fast_or_plain
    from dae_runtime.synthetic import synthetic_digits

    fp32 = tmp_path / "model.onnx"
    onnx.save(fast_or_plain(convert_fp32(two_path_model), "fast", print)[0], str(fp32))
    digits = synthetic_digits(64)[..., None].astype(np.float32)
    int8 = tmp_path / "model.int8.onnx"
    quantize_with_gate(fp32, int8, digits, digits, digits, max_psnr_loss_db=5.0, fast=True, size_multiple=2)
    assert "input_columns_to_nchw" not in [n.name for n in onnx.load(str(int8)).graph.node]
    x = np.random.default_rng(9).random((1, 28, 30, 1), dtype=np.float32)  # 30 is even, not a multiple of 4
    assert _run(onnx.load(str(int8)), x).shape == (1, 28, 30, 1)
