"""Exact speed rewrite for any decoder built from 2x nearest upsamples: every upsample goes.

Resize(2x, y) -> Conv3x3(w, b)  becomes  Crop(DepthToSpace(Conv2x2(y))): an upsampled 3x3 conv,
computed at low resolution on a grid shifted by one pixel, where each of the 4 output phases needs
only a 2x2 window (dae_export.rewrites.kernels.shifted_upsample_conv). No Resize runs, and no conv runs
at the high resolution.
Resize(2x, y) -> Add(s) -> Conv3x3(w, b)  becomes  DepthToSpace(PhaseConv(y)) + Conv3x3(s, w, no bias):
conv is linear, conv(up(y) + s) = conv(up(y)) + conv(s) - b.
A 1-output conv (the image) goes one level further, into phase space, where the size multiple
allows it (dae_export.rewrites.phase_space).
Other Resizes stay: the same split for a U-Net's Concat skip made it slower (its phase conv does
9/4 of the needed multiplications, and its skip conv stays at full resolution; benchmarks/README.md).
A Relu after a DepthToSpace moves before it (the same values), so it fuses into the conv.
Exact up to float rounding; the export's parity check proves it again.

int8 only (depth_to_space_as_layout): each DepthToSpace(2) of more than one channel becomes NHWC
Reshapes around one Transpose. onnxruntime runs its int8 convs in NHWC; a DepthToSpace costs two
layout Transposes plus its own generic loop, while the Reshapes move nothing and the Transpose
copies C-byte runs (benchmarks/README.md, "A zoo model built for the fast graph").
"""

from __future__ import annotations

import numpy as np

from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.kernels import shifted_upsample_conv
from dae_export.rewrites.patterns import (
    attributes,
    conv_node,
    is_conv3x3_same,
    is_nearest_2x,
    pixels_and_crop,
    upsample_phase_conv,
)
from dae_export.rewrites.sides import side_of


def _phase_nodes(g: Graph, y: str, conv, out: str) -> list:
    """PhaseConv(y) -> DepthToSpace: Resize(2x) -> conv at low resolution."""
    from onnx import helper

    n = conv.name
    return [
        upsample_phase_conv(g, y, conv, f"{n}_phases", f"{n}_phases", f"{n}_phases"),
        helper.make_node("DepthToSpace", [f"{n}_phases"], [out], name=f"{n}_to_pixels", blocksize=2),
    ]


def _shifted_phase_nodes(g: Graph, y: str, conv, out: str) -> list:
    """The same on a grid shifted by one pixel: Conv2x2 (4 taps, not 9) -> DepthToSpace -> crop."""
    w, b = g.array(conv.input[1]), np.tile(g.array(conv.input[2]), 4)
    n = conv.name
    inputs = [y, g.add(f"{n}_phases_w", shifted_upsample_conv(w)), g.add(f"{n}_phases_b", b)]
    return [
        conv_node(inputs, f"{n}_phases", f"{n}_phases", 2),
        *pixels_and_crop(g, f"{n}_phases", f"{n}_shifted", out, 2, 1, (f"{n}_to_pixels", f"{n}_crop"), f"{n}_crop"),
    ]


def _skip_rewrite(g: Graph, up, add, conv) -> list:
    """Nodes for conv(up(y) + skip) (see the module docstring)."""
    from onnx import helper

    skip = next(i for i in add.input if i != up.output[0])
    upsampled = f"{conv.name}_upsampled"
    skip_conv = conv_node([skip, conv.input[1]], f"{conv.name}_skip", f"{conv.name}_skip", 3)
    total = helper.make_node("Add", [upsampled, f"{conv.name}_skip"], [conv.output[0]], name=add.name)
    return [*_phase_nodes(g, up.input[0], conv, upsampled), skip_conv, total]


def _next_rewrite(g: Graph, size_multiple: int | None):
    """The first upsample this module can rewrite: (nodes to replace, their replacement), or None."""
    from dae_export.rewrites.phase_space import fits_phase_space, phase_space_nodes

    users = g.consumers()
    for up in (n for n in g.g.node if n.op_type == "Resize" and is_nearest_2x(g, n)):
        after = users[up.output[0]]
        if len(after) != 1:
            continue
        if after[0].op_type == "Conv" and is_conv3x3_same(g, after[0]):
            y, conv = up.input[0], after[0]
            form = phase_space_nodes if fits_phase_space(g, y, conv, size_multiple) else _shifted_phase_nodes
            return [up, conv], form(g, y, conv, conv.output[0])
        add, convs = after[0], users[after[0].output[0]]
        if (
            add.op_type == "Add"
            and len(convs) == 1
            and convs[0].op_type == "Conv"
            and is_conv3x3_same(g, convs[0])
            and _is_full_map_skip(g, up, add, convs[0])
        ):
            return [up, add, convs[0]], _skip_rewrite(g, up, add, convs[0])
    return None


def _is_full_map_skip(g: Graph, up, add, conv) -> bool:
    """The Add's other input is a conv's map of the upsampled map's size and channels, not a broadcast
    (the linearity split would convolve a broadcast value as if it were a map)."""
    skip = next((i for i in add.input if i != up.output[0]), "")
    source = _conv_before(g, skip) if skip else None
    if source is None or g.array(source.input[1]).shape[0] != g.array(conv.input[1]).shape[1]:
        return False
    try:
        return side_of(g, skip, g.g.input[0].name) == side_of(g, up.output[0], g.g.input[0].name)
    except RewriteNotApplicable:
        return False


def _topological(nodes: list, graph_inputs: set[str]) -> list:
    ready, left, ordered = set(graph_inputs), list(nodes), []
    while left:
        at = next(i for i, n in enumerate(left) if all(not t or t in ready for t in n.input))
        node = left.pop(at)
        ordered.append(node)
        ready.update(node.output)
    return ordered


def _relu_before_depth_to_space(g: Graph) -> None:
    """Conv -> DepthToSpace [-> crop] -> Relu becomes Conv -> Relu -> DepthToSpace [-> crop] (the same
    values): the Relu then fuses into the conv, and int8 does not requantize the pixels between them."""
    users, outputs = g.consumers(), {o.name for o in g.g.output}
    for d2s in [n for n in g.g.node if n.op_type == "DepthToSpace"]:
        last = d2s
        if len(users[last.output[0]]) == 1 and users[last.output[0]][0].op_type == "Slice":
            last = users[last.output[0]][0]
        after = users[last.output[0]]
        kept = {d2s.output[0], last.output[0]} & outputs  # a graph output must keep its values
        if len(after) == 1 and after[0].op_type == "Relu" and not kept:
            relu, phases = after[0], d2s.input[0]
            relu.input[0], relu.output[0], d2s.input[0], last.output[0] = (
                phases,
                f"{phases}_relu",
                f"{phases}_relu",
                relu.output[0],
            )


def phase_upsamples(proto, size_multiple: int | None = None):
    """The rewrite above for every upsample it applies to; raises RewriteNotApplicable if there is none.
    size_multiple: the model's (frames are padded to it); given, a 1-output conv goes to phase space
    where its input's sides are even (dae_export.rewrites.phase_space)."""
    g = Graph(proto)
    done = 0
    while (found := _next_rewrite(g, size_multiple)) is not None:
        g.replace(*found)
        done += 1
    if not done:
        raise RewriteNotApplicable("fast graph: no Resize(2x) followed by a Conv3x3 (directly or through an Add)")
    _relu_before_depth_to_space(g)
    known = {i.name for i in g.g.input} | set(g.weights)
    g.set_nodes(_topological(list(g.g.node), known))
    return g.finish()


def depth_to_space_as_layout(proto):
    """Every DepthToSpace(blocksize 2, DCR) after a Conv (or its Relu), as NHWC Reshape -> Transpose ->
    Reshape; raises RewriteNotApplicable if there is none, or if a size cannot be traced to the input's.

    The merged shape comes from the graph input's Shape (its sides times the map's scale): a Shape
    of the map itself would make onnxruntime materialise the map in NCHW just to read its size."""
    from onnx import helper

    g = Graph(proto)
    if not any(_is_conv_d2s2(g, n) for n in g.g.node):
        raise RewriteNotApplicable("no DepthToSpace(2) after a Conv")
    source = g.g.input[0].name
    shape_node = helper.make_node("Shape", [source], ["input_shape"], name="input_shape")
    sides = {n.name: side_of(g, n.output[0], source) for n in g.g.node if _is_conv_d2s2(g, n)}  # before any edit
    while (d2s := next((n for n in g.g.node if _is_conv_d2s2(g, n)), None)) is not None:
        kernel = g.array(_conv_before(g, d2s.input[0]).input[1])
        c, scale, offset = int(kernel.shape[0]) // 4, sides[d2s.name].scale, sides[d2s.name].offset
        x, n = d2s.input[0], d2s.name
        new = [
            helper.make_node("Transpose", [x], [f"{n}_nhwc"], name=f"{n}_to_nhwc", perm=[0, 2, 3, 1]),
            # (N, H, W, 4C) -> (N, H, W, 2, 2, C): DCR channels are (phase row, phase col, c)
            helper.make_node(
                "Reshape",
                [f"{n}_nhwc", g.add(f"{n}_phases", np.array([0, 0, 0, 2, 2, c], np.int64))],
                [f"{n}_split"],
                name=f"{n}_split",
            ),  # fmt: skip
            helper.make_node(
                "Transpose", [f"{n}_split"], [f"{n}_rows"], name=f"{n}_interleave", perm=[0, 1, 3, 2, 4, 5]
            ),  # fmt: skip
            # (N, H, 2, W, 2, C) -> (N, 2H, 2W, C): the input's (N, H0, W0, 1) * [1, s, s, 0] + [0, o, o, C]
            # (o: the shifted form's grid is a pixel larger each side)
            helper.make_node(
                "Mul",
                ["input_shape", g.add(f"{n}_up", np.array([1, scale.numerator, scale.numerator, 0], np.int64))],
                [f"{n}_scaled"],
                name=f"{n}_scale_up",
            ),  # fmt: skip
            helper.make_node(
                "Div",
                [f"{n}_scaled", g.add(f"{n}_down", np.array([1, scale.denominator, scale.denominator, 1], np.int64))],
                [f"{n}_sides"],
                name=f"{n}_scale_down",
            ),  # fmt: skip
            helper.make_node(
                "Add",
                [f"{n}_sides", g.add(f"{n}_channels", np.array([0, offset, offset, c], np.int64))],
                [f"{n}_target"],
                name=f"{n}_target",
            ),  # fmt: skip
            helper.make_node("Reshape", [f"{n}_rows", f"{n}_target"], [f"{n}_pixels"], name=f"{n}_merge"),
            helper.make_node("Transpose", [f"{n}_pixels"], [d2s.output[0]], name=f"{n}_to_nchw", perm=[0, 3, 1, 2]),
        ]
        g.replace([d2s], new)
    # the Shape goes where it is first needed, not first: the int8 head rewrite
    # (seed.column_phase_encoder) looks for the input's Transpose -> Conv as the first nodes
    g.set_nodes(_topological([*g.g.node, shape_node], {source} | set(g.weights)))
    return g.finish()


def _conv_before(g: Graph, tensor: str):
    """The Conv that writes `tensor`, directly or through a Relu; else None."""
    node = g.producers().get(tensor)
    if node is not None and node.op_type == "Relu":
        node = g.producers().get(node.input[0])
    return node if node is not None and node.op_type == "Conv" else None


def _is_conv_d2s2(g: Graph, node) -> bool:
    attrs = attributes(node)
    conv = _conv_before(g, node.input[0]) if node.op_type == "DepthToSpace" else None
    return (
        conv is not None
        and g.array(conv.input[1]).shape[0] > 4  # one output channel: the interleave moves single bytes
        and attrs.get("blocksize") == 2
        and attrs.get("mode", b"DCR") == b"DCR"
    )
