"""Keras -> fp32 ONNX through tf2onnx, as a clean graph.

tf2onnx turns Keras 3's UpSampling2D (ops.repeat) into ~30 Shape/Slice/Concat/Tile/
Reshape/Transpose nodes each (74 nodes in all). Instead:
1. trace a tf.function that calls the model's layers in order, but computes each
   UpSampling2D as tf.compat.v1.image.resize_nearest_neighbor (half_pixel_centers=False
   is floor(i / 2), exactly Keras' repeat);
2. convert that op with a custom tf2onnx handler to one Resize(nearest, asymmetric, floor)
   with constant scales, so the dynamic size arithmetic is dead and pruned and
   tf2onnx's optimizer cancels every Transpose;
3. rewrite the layout nodes at the graph's edges canonically: for a single channel,
   NHWC <-> NCHW is Squeeze + Unsqueeze (no data moves). This also repairs a tf2onnx
   1.17 bug that can leave the output at rank 5.
Result for the seed: 18 nodes (Conv, Relu, MaxPool, Resize, Sigmoid + 2 Squeeze/Unsqueeze
pairs), NHWC (N, H, W, 1) in and out like Keras, dynamic N, H and W. Models with skips add
Add or Concat nodes (the model is cloned with exact upsampling, so any graph of the
supported layers is traced as it is).
"""

from __future__ import annotations

import numpy as np

from dae_export.config import INPUT_NAME, OUTPUT_NAME
from dae_export.errors import ExportError
from dae_export.model_shape import input_side

ALLOWED_OPS = {"Conv", "Relu", "MaxPool", "Resize", "Sigmoid", "Squeeze", "Unsqueeze", "Add", "Concat"}
EDGE_NODES = 4  # the Squeeze/Unsqueeze pairs at input and output
TF2ONNX_MAX_OPSET = 18  # tf2onnx 1.17 refuses more; higher opsets go through onnx.version_converter
_ACTIVATIONS = ("relu", "sigmoid")  # Activation layers that convert to exactly one ONNX op
_ORDER_KEEPING = {"Reshape", "Squeeze", "Unsqueeze"}  # layout ops that keep the element order
_LAYOUT_OPS = {"Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity"}


def _traced_forward(model):
    """(tf.function over the model with upsampling as ResizeNearestNeighbor, {tf op name: scales})."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # the v1 resize op below is deprecated, on purpose (exact floor mapping)
    scales_by_op: dict[str, tuple[float, float]] = {}

    def upsample(layer, x):
        sh, sw = layer.size
        size = tf.shape(x)[1:3] * tf.constant([sh, sw], tf.int32)
        x = tf.compat.v1.image.resize_nearest_neighbor(x, size, align_corners=False, half_pixel_centers=False)
        if not tf.executing_eagerly():  # the clone's equivalence check runs eagerly
            scales_by_op[x.op.name] = (float(sh), float(sw))
        return x

    forward = exact_forward(model, upsample)  # no tf.identity after it: tf2onnx would drop the final Squeeze

    channels = model.inputs[0].shape[-1]
    if channels != 1:
        raise ExportError(f"the model takes {channels} channels; only single-channel models are supported")
    spec = tf.TensorSpec((None, None, None, 1), tf.float32, name=INPUT_NAME)
    fn = tf.function(forward, input_signature=[spec])
    scales_by_op.clear()  # building the forward traced the resize once already, in a scratch graph
    fn.get_concrete_function()  # trace now, so scales_by_op holds the ops of this graph
    return fn, scales_by_op


def exact_forward(model, upsample):
    """The model's function with each UpSampling2D computed by `upsample(layer, x)`.

    Keras 3's UpSampling2D (ops.repeat) converts badly to both ONNX and TFLite; each
    converter gets a nearest resize that computes the same values instead. The model is
    cloned with every other layer reused as it is (same weights), so any functional graph
    of the supported layers works: plain chains, additive and concatenated skips.
    """
    import keras

    check_supported(model)

    class ExactUpsampling(keras.layers.Layer):
        def __init__(self, original):
            super().__init__(name=f"{original.name}_exact")
            self.size = tuple(original.size)

        def call(self, x):
            return upsample(self, x)

        def compute_output_shape(self, shape):
            n, h, w, c = shape
            scale = lambda d, f: None if d is None else d * f  # noqa: E731
            return (n, scale(h, self.size[0]), scale(w, self.size[1]), c)

    def swap(layer):
        return ExactUpsampling(layer) if isinstance(layer, keras.layers.UpSampling2D) else layer

    clone = keras.models.clone_model(model, clone_function=swap)
    side = input_side(model)
    x = np.random.default_rng(0).random((1, side, side, 1), dtype=np.float32)
    same = np.allclose(keras.ops.convert_to_numpy(clone(x)), keras.ops.convert_to_numpy(model(x)), atol=1e-5)
    if not same:
        raise ExportError("the model could not be re-traced exactly (its clone computes another function)")
    return clone


def check_supported(model) -> None:
    """Refuse, up front and in one line, layers the exporter does not convert exactly."""
    import keras

    supported = (
        keras.layers.InputLayer, keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.UpSampling2D,
        keras.layers.Add, keras.layers.Concatenate, keras.layers.Activation,
    )  # fmt: skip
    if not isinstance(model, keras.Model) or not hasattr(model, "inputs") or len(model.inputs) != 1:
        raise ExportError("only single-input Keras functional or Sequential models are supported")
    for layer in model.layers:
        if not isinstance(layer, supported):
            raise ExportError(
                f"layer {layer.name} ({type(layer).__name__}) is not supported: the exporter handles "
                "Conv2D, MaxPooling2D, nearest UpSampling2D, Add, Concatenate and Activation"
            )
        cfg = layer.get_config()
        if cfg.get("data_format") not in (None, "channels_last") or cfg.get("interpolation", "nearest") != "nearest":
            raise ExportError(f"layer {layer.name}: only channels-last layers and nearest upsampling are supported")
        if isinstance(layer, keras.layers.Activation) and cfg.get("activation") not in _ACTIVATIONS:
            raise ExportError(f"layer {layer.name}: only {', '.join(_ACTIVATIONS)} activation layers are supported")
        if isinstance(layer, keras.layers.Concatenate) and cfg.get("axis") not in (-1, 3):
            raise ExportError(f"layer {layer.name}: only concatenation along channels is supported")
        if not all(np.isfinite(w).all() for w in layer.get_weights()):
            raise ExportError(f"layer {layer.name} has NaN or infinite weights (did its training diverge?)")


def _resize_handler(scales_by_op):
    import tf2onnx
    from tf2onnx import constants

    def handler(ctx, node, name, args):
        sh, sw = scales_by_op[node.name]
        nchw = ctx.make_node("Transpose", [node.input[0]], {"perm": constants.NHWC_TO_NCHW})
        scales = ctx.make_const(tf2onnx.utils.make_name(node.name + "_scales"), np.array([1, 1, sh, sw], np.float32))
        roi = ctx.make_const(tf2onnx.utils.make_name("roi"), np.array([], np.float32))
        resize = ctx.make_node(
            "Resize",
            [nchw.output[0], roi.output[0], scales.output[0]],
            {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
        )
        shapes, dtypes = node.output_shapes, node.output_dtypes
        ctx.remove_node(node.name)
        ctx.make_node(
            "Transpose",
            resize.output,
            {"perm": constants.NCHW_TO_NHWC},
            name=node.name,
            outputs=node.output,
            shapes=shapes,
            dtypes=dtypes,
        )

    return handler


def _canonical_io(model) -> None:
    """Replace the layout-only nodes between graph I/O and the NCHW body by Squeeze/Unsqueeze pairs."""
    import onnx
    from onnx import helper

    from dae_export.rewrites.graph_edit import Graph, set_dims

    graph = Graph(model, copy=False)
    g = graph.g
    x_name, y_name = g.input[0].name, g.output[0].name
    producer, consumers = graph.producers(), graph.consumers()
    drop, t = [], x_name
    while len(consumers[t]) == 1 and consumers[t][0].op_type in _LAYOUT_OPS:
        drop.append(consumers[t][0])
        t = consumers[t][0].output[0]
    first_nchw, t = t, y_name
    while t in producer and producer[t].op_type in _LAYOUT_OPS:
        drop.append(producer[t])
        t = producer[t].input[0]
    last_nchw = t
    if first_nchw == x_name or last_nchw == y_name:
        raise ExportError("unexpected tf2onnx graph: no layout change at its edges")
    keep = [n for n in g.node if all(n is not d for d in drop)]
    g.initializer.extend(
        [
            onnx.numpy_helper.from_array(np.array([3], np.int64), "axes_3"),
            onnx.numpy_helper.from_array(np.array([1], np.int64), "axes_1"),
        ]
    )
    head = [
        helper.make_node("Squeeze", [INPUT_NAME, "axes_3"], ["input_nhw"], name="input_squeeze"),
        helper.make_node("Unsqueeze", ["input_nhw", "axes_1"], [first_nchw], name="input_to_nchw"),
    ]
    tail = [
        helper.make_node("Squeeze", [last_nchw, "axes_1"], ["output_nhw"], name="output_squeeze"),
        helper.make_node("Unsqueeze", ["output_nhw", "axes_3"], [OUTPUT_NAME], name="output_to_nhwc"),
    ]
    graph.set_nodes(head + keep + tail)
    graph.prune()
    g.input[0].name, g.output[0].name = INPUT_NAME, OUTPUT_NAME
    set_dims(g.input[0], ["batch", "height", "width", 1])
    set_dims(g.output[0], ["batch", "out_height", "out_width", 1])
    imports = [o for o in model.opset_import if o.domain in ("", "ai.onnx")]  # drop the unused ai.onnx.ml
    del model.opset_import[:]
    model.opset_import.extend(imports)


def convert_fp32(model, opset: int = 17):
    """The clean fp32 ModelProto of a Keras model; checked, not yet compared with Keras."""
    import onnx
    import tf2onnx

    if not 13 <= opset <= 21:
        raise ExportError(f"opset {opset} is not supported; choose 13..21 (default 17)")
    fn, scales_by_op = _traced_forward(model)
    try:
        proto, _ = tf2onnx.convert.from_function(
            fn,
            input_signature=fn.input_signature,
            opset=min(opset, TF2ONNX_MAX_OPSET),
            custom_op_handlers={"ResizeNearestNeighbor": (_resize_handler(scales_by_op), [])},
        )
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types; the user needs one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ExportError(f"tf2onnx could not convert the model: {first}") from exc
    _canonical_io(proto)
    _drop_identity_reshapes(proto)
    if opset > TF2ONNX_MAX_OPSET:
        proto = onnx.version_converter.convert_version(proto, opset)
    proto.ir_version = max(proto.ir_version, onnx.helper.find_min_ir_version_for(list(proto.opset_import)))
    proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    onnx.checker.check_model(proto, full_check=True)
    check_graph(proto, n_upsampling=len(scales_by_op), max_nodes=_max_nodes(model))
    return proto


def _drop_identity_reshapes(proto) -> None:
    """Remove the Reshapes tf2onnx leaves where it folded a 1-channel map's layout Transpose: one, or
    Unsqueeze-Reshape(rank 6)-Squeeze-Reshape, depending on its optimizer's order from run to run. A
    chain of Reshape/Squeeze/Unsqueeze whose end has the start's channel, height and width dims (equal
    sizes or the same symbols from shape inference) is the identity: these ops keep the element order
    and count, so the batch dim is equal too."""
    import onnx

    from dae_export.rewrites.graph_edit import Graph

    graph = Graph(proto, copy=False)
    dims = {
        v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in onnx.shape_inference.infer_shapes(proto).graph.value_info
    }
    outputs = {o.name for o in graph.g.output}
    producers = graph.producers()
    for first in [n for n in graph.g.node if n.op_type in _ORDER_KEEPING]:
        if first.input[0] in producers and producers[first.input[0]].op_type in _ORDER_KEEPING:
            continue  # not the start of a chain
        start, chain = dims.get(first.input[0], []), [first]
        while (
            chain[-1].output[0] not in outputs  # a graph output inside the chain ends it
            and (nxt := graph.consumer(chain[-1].output[0])) is not None
            and nxt.op_type in _ORDER_KEEPING
        ):
            chain.append(nxt)
        while chain:
            end = dims.get(chain[-1].output[0], [])
            if len(start) == len(end) == 4 and all(start[1:]) and start[1:] == end[1:]:
                break
            chain.pop()
        if not chain or chain[-1].output[0] in outputs:
            continue
        for user in graph.g.node:
            user.input[:] = [first.input[0] if i == chain[-1].output[0] else i for i in user.input]
        for node in chain:
            graph.g.node.remove(node)
    graph.prune()


def _max_nodes(model) -> int:
    """A clean graph has at most two nodes per layer (Conv + activation) plus the edges."""
    import keras

    return 2 * sum(not isinstance(layer, keras.layers.InputLayer) for layer in model.layers) + EDGE_NODES


def check_graph(proto, n_upsampling: int, max_nodes: int = 20) -> None:
    ops = [n.op_type for n in proto.graph.node]
    extra = set(ops) - ALLOWED_OPS
    if extra or len(ops) > max_nodes:
        raise ExportError(f"unexpected ONNX graph: {len(ops)} nodes, unexpected ops {sorted(extra)}")
    if ops.count("Resize") != n_upsampling:
        raise ExportError(f"{ops.count('Resize')} Resize nodes for {n_upsampling} UpSampling2D layers")
    if len(proto.graph.output[0].type.tensor_type.shape.dim) != 4:
        raise ExportError("the ONNX output is not rank 4")
