"""The last upsample's 1-output conv computed in phase space: 16 outputs at a quarter of the pixels.

Resize(2x, y) -> Conv3x3(w: 1 output)  becomes  Crop(DepthToSpace(4, Conv2x2(SpaceToDepth(2, y)))):
y's four pixel phases become channels, and the conv outputs the 16 phases of the result on a grid
shifted by one pixel (kernels.shifted_upsample_conv_phases, the seed's decoder output form).
The multiplications are the same; the point is their shape. onnxruntime's int8 conv runs a GEMM per
image with the output channels as its N: 4 phases of 1 output leave most of the kernel's columns
empty, 16 fill them. Measured 2026-11-27 on lowres-unet2, int8 batch 256: the output conv 3.05 -> 1.17
ms profiled, the model 1.84-1.87x -> 1.71-1.72x the seed's time (benchmarks/README.md, "The output
conv in phase space").

It needs y's sides even for every frame the runtime feeds: the caller passes the model's size
multiple. int8 only: every SpaceToDepth(2) becomes NHWC Reshape -> Transpose -> Reshape
(space_to_depth_as_layout), one copy of C-byte runs instead of a float detour.
Exact up to float rounding; the export's parity check proves it again.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.kernels import shifted_upsample_conv_phases
from dae_export.rewrites.patterns import attributes, conv_node, pixels_and_crop
from dae_export.rewrites.sides import Side, side_of


def fits_phase_space(g: Graph, y: str, conv, size_multiple: int | None) -> bool:
    """True if conv (after Resize(2x, y)) has 1 output and y's sides are even for every allowed frame."""
    if size_multiple is None or g.array(conv.input[1]).shape[0] != 1:
        return False
    try:
        side = side_of(g, y, g.g.input[0].name)
    except RewriteNotApplicable:
        return False
    step = Fraction(size_multiple) * side.scale  # y's side grows by this per size_multiple of the input
    return side.offset == 0 and step.denominator == 1 and step.numerator % 2 == 0


def phase_space_nodes(g: Graph, y: str, conv, out: str) -> list:
    """SpaceToDepth(2) -> Conv2x2 (16 phases) -> DepthToSpace(4) -> crop, for Resize(2x, y) -> conv."""
    from onnx import helper

    n = conv.name
    w, b = g.array(conv.input[1]), np.tile(g.array(conv.input[2]), 16)
    weights = [g.add(f"{n}_phase_space_w", shifted_upsample_conv_phases(w)), g.add(f"{n}_phase_space_b", b)]
    return [
        helper.make_node("SpaceToDepth", [y], [f"{n}_in_phases"], name=f"{n}_to_phases", blocksize=2),
        conv_node([f"{n}_in_phases", *weights], f"{n}_phases", f"{n}_phases", 2),
        *pixels_and_crop(g, f"{n}_phases", f"{n}_shifted", out, 4, 3, (f"{n}_to_pixels", f"{n}_crop"), f"{n}_crop"),
    ]


def layout_facts(proto) -> dict[str, tuple[Side, int]]:
    """{SpaceToDepth(2) name: (its output's Side, its input's channels)}, from the graph as it is.
    The int8 source takes them before the DepthToSpace layout edit, whose computed-shape Reshapes
    neither a size trace nor shape inference can pass; {} if any is unknown."""
    import onnx

    g = Graph(proto)
    dims = {v.name: v.type.tensor_type.shape.dim for v in onnx.shape_inference.infer_shapes(proto).graph.value_info}
    facts = {}
    for n in (n for n in g.g.node if _is_s2d2(n)):
        shape = dims.get(n.input[0], [])
        try:
            side = side_of(g, n.output[0], g.g.input[0].name)
        except RewriteNotApplicable:
            return {}
        if len(shape) != 4 or not shape[1].dim_value or side.offset or side.scale.numerator != 1:
            return {}
        facts[n.name] = (side, shape[1].dim_value)
    return facts


def space_to_depth_as_layout(proto, facts: dict | None = None):
    """Every SpaceToDepth(2) as NHWC layout nodes; raises RewriteNotApplicable if there is none, or if its side
    or channels are not known. facts: layout_facts() of the graph before other edits (default: now).

    (N, H, W, C) -> (N, H/2, 2, W/2, 2C) -> swap the middle axes -> (N, H/2, W/2, 4C): channels
    (phase row, phase col, c), SpaceToDepth's order. The split's sides come from the graph input's
    Shape: a Shape of the map itself makes onnxruntime materialise it in NCHW, in float."""
    facts = layout_facts(proto) if facts is None else facts
    g = Graph(proto)
    if not any(_is_s2d2(n) for n in g.g.node):
        raise RewriteNotApplicable("no SpaceToDepth(2)")
    while (s2d := next((n for n in g.g.node if _is_s2d2(n)), None)) is not None:
        if s2d.name not in facts:
            raise RewriteNotApplicable(f"{s2d.name}: its side or channels are not known")
        side, channels = facts[s2d.name]
        g.replace([s2d], _layout_nodes(g, s2d, side.scale.denominator, channels))
    return g.finish()


def _layout_nodes(g: Graph, s2d, divisor: int, channels: int) -> list:
    from onnx import helper

    n = s2d.name

    def const(name: str, *values: int) -> str:
        return g.add(f"{n}_{name}", np.array(values, np.int64))

    def node(op: str, inputs: list[str], name: str, output: str = "", **attrs):
        return helper.make_node(op, inputs, [output or f"{n}_{name}"], name=f"{n}_{name}", **attrs)

    return [
        node("Shape", [g.g.input[0].name], "input_shape"),
        # the input's (N, H0, W0, 1) -> (N, H0/d, W0/d, 1): the output's sides -> [N, H/2, 2, W/2, 2C]
        node("Div", [f"{n}_input_shape", const("divisor", 1, divisor, divisor, 1)], "sides"),
        node("Slice", [f"{n}_sides", const("n_from", 0), const("n_to", 2)], "n_rows"),
        node("Slice", [f"{n}_sides", const("w_from", 2), const("w_to", 3)], "cols"),
        node("Concat", [f"{n}_n_rows", const("two", 2), f"{n}_cols", const("2c", 2 * channels)], "split_shape", axis=0),
        node("Transpose", [s2d.input[0]], "to_nhwc", perm=[0, 2, 3, 1]),
        node("Reshape", [f"{n}_to_nhwc", f"{n}_split_shape"], "split"),  # (N, H/2, 2, W/2, 2C)
        node("Transpose", [f"{n}_split"], "gather", perm=[0, 1, 3, 2, 4]),  # (N, H/2, W/2, 2, 2C)
        node("Reshape", [f"{n}_gather", const("merged", 0, 0, 0, 4 * channels)], "merge"),
        node("Transpose", [f"{n}_merge"], "to_nchw", output=s2d.output[0], perm=[0, 3, 1, 2]),
    ]


def _is_s2d2(node) -> bool:
    return node.op_type == "SpaceToDepth" and _attr(node, "blocksize") == 2


def _attr(node, name: str):
    return attributes(node).get(name)
