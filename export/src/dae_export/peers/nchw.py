"""The plain ONNX graph (tf2onnx's, before the fast rewrites) as ncnn's and MNN's converters take it: NCHW
input and output of a fixed shape (batch, 1, height, width) and explicit pads.

For one channel, NHWC and NCHW are the same memory, so the plain graph's edge nodes (Squeeze + Unsqueeze at
input and output) are dropped and the caller passes its (N, H, W, 1) array reshaped, without a copy.
auto_pad SAME_UPPER (tf2onnx's) becomes explicit pads: both converters handle those, and for stride-1 odd
kernels and poolings that tile the image they are the same padding. Anything else is refused (ValueError).
"""

from __future__ import annotations

from dae_export.config import INPUT_NAME, OUTPUT_NAME


def nchw_fixed(proto, batch: int, height: int, width: int):
    """`proto` (the plain graph, changed in place) with a fixed NCHW input and output, checked by onnx."""
    import onnx
    from onnx import helper

    g = proto.graph
    nodes = list(g.node)
    head, tail = nodes[:2], nodes[-2:]
    if [n.op_type for n in head] != ["Squeeze", "Unsqueeze"] or [n.op_type for n in tail] != ["Squeeze", "Unsqueeze"]:
        raise ValueError("not the plain graph: its edges are not Squeeze + Unsqueeze pairs")
    first_in, last_out = head[1].output[0], tail[0].input[0]
    body = nodes[2:-2]
    for n in body:
        n.input[:] = [INPUT_NAME if i == first_in else i for i in n.input]
        n.output[:] = [OUTPUT_NAME if o == last_out else o for o in n.output]
        _explicit_pads(n)
    shape = [batch, 1, height, width]
    del g.node[:]
    g.node.extend(body)
    del g.input[:], g.output[:], g.value_info[:]
    g.input.append(helper.make_tensor_value_info(INPUT_NAME, onnx.TensorProto.FLOAT, shape))
    g.output.append(helper.make_tensor_value_info(OUTPUT_NAME, onnx.TensorProto.FLOAT, shape))
    used = {i for n in body for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.checker.check_model(proto)
    return onnx.shape_inference.infer_shapes(proto, strict_mode=True)


def _explicit_pads(node) -> None:
    from onnx import helper

    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if attrs.get("auto_pad") not in (b"SAME_UPPER", "SAME_UPPER"):
        return
    kernel, strides = attrs["kernel_shape"], attrs.get("strides", [1, 1])
    if strides == [1, 1] and all(k % 2 for k in kernel):
        pads = [k // 2 for k in kernel] * 2
    elif strides == kernel:  # pooling that tiles the image: no padding on sizes it divides (checked by shapes)
        pads = [0] * 4
    else:
        raise ValueError(f"{node.name}: SAME_UPPER with kernel {kernel} strides {strides} is not handled")
    kept = [a for a in node.attribute if a.name != "auto_pad"]
    del node.attribute[:]
    node.attribute.extend([*kept, helper.make_attribute("pads", pads)])
