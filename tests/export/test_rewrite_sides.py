"""Size tracing (dae_export.rewrites.sides) and the phase rewrite's refusals, on small hand-made graphs."""

from fractions import Fraction

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper


def _graph(nodes, weights, outputs=("y",), channels=4):
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", channels, "H", "W"])]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in weights.items()]
    return helper.make_model(
        helper.make_graph(nodes, "g", inputs, outs, inits), opset_imports=[helper.make_opsetid("", 17)]
    )


def _shifted(crop_end, crop_end_w=None):
    """Conv2x2 (pads 1) -> DepthToSpace(2) -> Slice: the shifted phase form, with a given crop end."""
    weights = {
        "w": np.ones((16, 4, 2, 2), np.float32),
        "s": np.array([1, 1], np.int64),
        "e": np.array([crop_end, crop_end if crop_end_w is None else crop_end_w], np.int64),
        "a": np.array([2, 3], np.int64),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("DepthToSpace", ["c"], ["d"], name="d2s", blocksize=2),
        helper.make_node("Slice", ["d", "s", "e", "a"], ["y"], name="crop"),
    ]
    return _graph(nodes, weights)


def test_the_shifted_form_traces_to_exact_sides():
    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.sides import Side, side_of

    g = Graph(_shifted(-1))
    assert side_of(g, "c", "x") == Side(Fraction(1), 1)  # a 2x2 conv padded by 1 each side: one pixel more
    assert side_of(g, "d", "x") == Side(Fraction(2), 2)
    assert side_of(g, "y", "x") == Side(Fraction(2), 0)  # the crop takes the two back


def test_a_crop_unlike_on_the_two_axes_or_a_stride_after_an_offset_is_refused():
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.sides import Side, side_of

    assert side_of(Graph(_shifted(-2)), "y", "x") == Side(Fraction(2), -1)  # ends may differ from starts
    with pytest.raises(RewriteNotApplicable, match="not the same crop of both axes"):
        side_of(Graph(_shifted(-1, -2)), "y", "x")
    model = _shifted(-1)
    model.graph.node.append(helper.make_node("MaxPool", ["d"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
    with pytest.raises(RewriteNotApplicable, match="a strided op after a size offset"):
        side_of(Graph(model), "p", "x")  # (2H + 2) / 2 is not a scale of H alone


def test_strided_windows_divide_only_when_their_padding_keeps_the_side_a_multiple():
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.sides import Side, side_of

    def pooled(kernel, pads):
        node = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=kernel, strides=[2, 2], pads=pads)
        return Graph(_graph([node], {}))

    assert side_of(pooled([2, 2], [0, 0, 0, 0]), "y", "x") == Side(Fraction(1, 2))  # Keras' MaxPooling2D(2)
    assert side_of(pooled([3, 3], [0, 0, 1, 1]), "y", "x") == Side(Fraction(1, 2))
    with pytest.raises(RewriteNotApplicable, match="padding the size trace does not know"):
        side_of(pooled([3, 3], [0, 0, 0, 0]), "y", "x")  # floor((H - 3) / 2) + 1: no scale of H


def test_a_crop_is_read_as_spatial_only_right_after_a_depth_to_space():
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.sides import side_of

    model = _shifted(-1)
    crop = model.graph.node[2]
    model.graph.node.insert(2, helper.make_node("Transpose", ["d"], ["t"], name="nhwc", perm=[0, 2, 3, 1]))
    crop.input[0] = "t"  # axes 2 and 3 of an NHWC map are W and C
    with pytest.raises(RewriteNotApplicable, match="cannot trace the size"):
        side_of(Graph(model), "y", "x")


def _upsample_add_conv(skip_value):
    weights = {
        "roi": np.array([], np.float32),
        "scales": np.array([1, 1, 2, 2], np.float32),
        "skip": skip_value,
        "w": np.ones((4, 4, 3, 3), np.float32),
        "b": np.zeros(4, np.float32),
    }
    nodes = [
        helper.make_node(
            "Resize",
            ["x", "roi", "scales"],
            ["u"],
            name="up",
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        ),  # fmt: skip
        helper.make_node("Add", ["u", "skip"], ["s"], name="add"),
        helper.make_node("Conv", ["s", "w", "b"], ["y"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
    ]
    return _graph(nodes, weights)


def test_an_add_of_a_broadcast_constant_is_not_split_by_linearity():
    """conv(up(y) + c) != conv(up(y)) + conv(c) when c is a (1, C, 1, 1) constant: the edges differ."""
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.phases import phase_upsamples

    with pytest.raises(RewriteNotApplicable, match="no Resize"):
        phase_upsamples(_upsample_add_conv(np.full((1, 4, 1, 1), 0.5, np.float32)))


def test_a_relu_stays_after_a_depth_to_space_that_is_a_graph_output():
    import onnxruntime as ort

    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.phases import _relu_before_depth_to_space

    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
        helper.make_node("DepthToSpace", ["c"], ["d"], name="d2s", blocksize=2),
        helper.make_node("Relu", ["d"], ["y"], name="relu"),
    ]
    model = _graph(nodes, {"w": np.random.default_rng(0).normal(size=(16, 4, 1, 1)).astype(np.float32)}, ("y", "d"))
    g = Graph(model)
    _relu_before_depth_to_space(g)
    edited = g.finish()
    x = np.random.default_rng(1).normal(size=(1, 4, 3, 5)).astype(np.float32)
    run = [ort.InferenceSession(m.SerializeToString()).run(None, {"x": x}) for m in (model, edited)]
    assert np.array_equal(run[0][1], run[1][1]) and run[1][1].min() < 0  # "d" keeps its negative values
    assert np.array_equal(run[0][0], run[1][0])
