"""Rewrite the clean seed graph into the form onnxruntime runs fastest; the function is unchanged.

Why (per-node profiles and every alternative are in benchmarks/README.md):
- Decoder at low resolution. Resize(2x) -> Conv -> Relu -> Resize(2x) -> Conv(1 output) -> Sigmoid
  becomes Conv (4 sub-pixel phases) -> Relu -> Conv2x2 (16 phases) -> Sigmoid -> DepthToSpace(4)
  -> Slice. No Resize is left (onnxruntime's uint8 NHWC Resize is a generic byte loop, 5.9 ms of
  21 at batch 256), no 1-output-channel conv over 784 pixels (fp32 NCHWc pads it to 16 channels:
  9.4 ms of 23). The phase convs carry zero taps (9.6 instead of 9.0 MFLOP per digit in all),
  but as GEMMs with 128 and 16 outputs at 7x7 they run near the machine's matmul rate.
- int8 only: the first Conv (1 input channel) -> Relu -> MaxPool reads the NHWC input as 4
  neighbouring columns per channel (a Reshape, no data moves) and becomes one strided Conv whose
  outputs are the pooling phases -> Relu -> max over phases (an NHWC Reshape and a 1x4 MaxPool,
  both kept in uint8). onnxruntime's fast int8 conv kernel needs input channels divisible by 4;
  with 1 it falls back to im2col + GEMM (3.6 ms of 8.4 at batch 256). fp32 keeps the plain first
  conv: its NCHWc kernels handle 1 channel well and the layout nodes would cost more than they save.
- Edges: one Transpose per NHWC <-> NCHW edge instead of a Squeeze/Unsqueeze pair; int8: the final
  DequantizeLinear moves behind the output's layout nodes.
All rewrites are exact up to float rounding (~1e-6); the export's parity check proves it again.
"""

from __future__ import annotations

import numpy as np

from dae_export.config import INPUT_NAME
from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.kernels import column_phase_conv, shifted_upsample_conv_phases
from dae_export.rewrites.patterns import (
    attributes,
    conv_node,
    find_upsample_tail,
    is_conv3x3_same,
    pixels_and_crop,
    upsample_phase_conv,
)

FAST_OPS = {"Transpose", "Conv", "Relu", "MaxPool", "Sigmoid", "DepthToSpace", "Slice"}
_LAYOUT_TAIL = {"DepthToSpace", "Slice", "Transpose", "Squeeze", "Unsqueeze", "Reshape"}


def lowres_decoder(proto):
    """The decoder rewrite (see the module docstring); raises RewriteNotApplicable if the tail does not match."""
    from onnx import helper

    g = Graph(proto)
    tail = ["Resize", "Conv", "Relu", "Resize", "Conv", "Sigmoid"]
    problem = "fast graph: the decoder is not Resize(2x)-Conv3x3-Relu-Resize(2x)-Conv3x3-Sigmoid"
    found = find_upsample_tail(g, tail, problem)
    up1, conv_a, relu, _, conv_b, sigmoid = found
    w_b, b_b = g.array(conv_b.input[1]), g.array(conv_b.input[2])
    new = [
        upsample_phase_conv(g, up1.input[0], conv_a, "decoder_a", conv_a.name, "decoder_a"),
        helper.make_node("Relu", ["decoder_a"], ["decoder_a_relu"], name=relu.name),
        conv_node(
            [
                "decoder_a_relu",
                g.add("decoder_b_w", shifted_upsample_conv_phases(w_b)),
                g.add("decoder_b_b", np.tile(b_b, 16)),
            ],
            "decoder_b",
            conv_b.name,
            2,
        ),  # fmt: skip
        helper.make_node("Sigmoid", ["decoder_b"], ["decoder_b_sigmoid"], name=sigmoid.name),
        *pixels_and_crop(
            g,
            "decoder_b_sigmoid",
            "decoder_pixels",
            sigmoid.output[0],
            4,
            3,
            ("phases_to_pixels", "crop_shifted_grid"),
            "crop",
            mode="DCR",
        ),  # fmt: skip
    ]
    g.replace(found, new)
    return g.finish()


def column_phase_encoder(proto, columns: int = 4):
    """The int8 encoder rewrite (see the module docstring); raises RewriteNotApplicable if the head does not match.
    columns: image columns read as channels, 4 (x86) or 2 (ARM: half the multiplications of 4;
    kernels.column_phase_conv)."""
    from onnx import helper

    g = Graph(proto)
    head, shared = _encoder_head(g)
    problem = "fast graph: the encoder does not start with a 1-channel Conv3x3-Relu-MaxPool(2x2)"
    if head is None:
        raise RewriteNotApplicable(problem)
    conv = head[1]
    pool_attrs = attributes(head[3])
    if (
        head[0].input[0] != INPUT_NAME
        or not is_conv3x3_same(g, conv)
        or g.array(conv.input[1]).shape[1] != 1
        or pool_attrs.get("kernel_shape") != [2, 2]
        or pool_attrs.get("strides") != [2, 2]
    ):
        raise RewriteNotApplicable(problem)
    relu, pool = head[2], head[3]
    w, b = g.array(conv.input[1]), g.array(conv.input[2])
    channels, edge_name = w.shape[0], "input_columns_to_nchw" if shared else "input_to_nchw"
    new = [
        # NHWC (N, H, W, 1) is, byte for byte, (N, H, W/c, c): c neighbouring columns as channels.
        helper.make_node(
            "Reshape",
            [INPUT_NAME, g.add("four_columns", np.array([0, 0, -1, columns], np.int64))],
            ["input_columns"],
            name="input_four_columns",
        ),  # fmt: skip
        helper.make_node(
            "Transpose", ["input_columns"], ["input_columns_nchw"], name=edge_name, perm=[0, 3, 1, 2]
        ),  # fmt: skip
        helper.make_node(
            "Conv",
            [
                "input_columns_nchw",
                g.add("encoder_w", column_phase_conv(w, columns)),
                g.add("encoder_b", np.tile(b, 2 * columns)),
            ],
            ["encoder_phases"],
            name=conv.name,
            kernel_shape=[4, 3],
            strides=[2, 1],
            pads=[1, 1, 1, 1],
        ),  # fmt: skip
        helper.make_node("Relu", ["encoder_phases"], ["encoder_relu"], name=relu.name),
        # Max over the 4 pooling phases: in NHWC the phases of a pooled pixel are 4 consecutive
        # groups of `channels`, so (N, H, W, 2cC) -> (N, H, 2cW, C) and a 1x4 pool. onnxruntime
        # cancels these Transposes against its own NHWC int8 layout; nothing moves.
        helper.make_node("Transpose", ["encoder_relu"], ["encoder_nhwc"], name="encoder_to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node(
            "Reshape",
            ["encoder_nhwc", g.add("phases_as_columns", np.array([0, 0, -1, channels], np.int64))],
            ["encoder_columns"],
            name="encoder_phases_as_columns",
        ),  # fmt: skip
        helper.make_node(
            "Transpose", ["encoder_columns"], ["encoder_nchw"], name="encoder_to_nchw", perm=[0, 3, 1, 2]
        ),  # fmt: skip
        helper.make_node(
            "MaxPool", ["encoder_nchw"], [pool.output[0]], name=pool.name, kernel_shape=[1, 4], strides=[1, 4]
        ),  # fmt: skip
    ]
    g.replace(head[1:] if shared else head, new)  # a shared input Transpose stays for its other readers
    return g.finish()


def _encoder_head(g: Graph) -> tuple[list | None, bool]:
    """([input Transpose, Conv, Relu, MaxPool] of the first layer, or None; whether other nodes read the
    Transpose too, as a full-resolution path from the input to the output does)."""
    if not len(g.g.node) or g.g.node[0].op_type != "Transpose":
        return None, False
    edge = g.g.node[0]
    readers = g.consumers()[edge.output[0]]
    for reader in readers:
        chain = g.chain(reader, ["Conv", "Relu", "MaxPool"])
        if chain is not None:
            return [edge, *chain], len(readers) > 1
    return None, False


def transpose_edges(proto):
    """NHWC <-> NCHW at the graph's edges as one Transpose each instead of a Squeeze/Unsqueeze pair:
    one node fewer per edge (about 0.5 us each at batch 1), and onnxruntime's int8 NHWC layout
    cancels the input one."""
    from onnx import helper

    g = Graph(proto)
    nodes = list(g.g.node)
    head, tail = nodes[:2], nodes[-2:]
    if [n.op_type for n in head + tail] != ["Squeeze", "Unsqueeze", "Squeeze", "Unsqueeze"]:
        raise RewriteNotApplicable("fast graph: the edges are not the canonical Squeeze/Unsqueeze pairs")
    edges = [
        helper.make_node("Transpose", [head[0].input[0]], [head[1].output[0]], name="input_to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node(
            "Transpose", [tail[0].input[0]], [tail[1].output[0]], name="output_to_nhwc", perm=[0, 2, 3, 1]
        ),
    ]
    g.set_nodes(edges[:1] + nodes[2:-2] + edges[1:])
    return g.finish()


def fast_fp32(plain):
    """The shipped fp32 graph from tf2onnx's clean one."""
    fast = transpose_edges(lowres_decoder(plain))
    check_fast_graph(fast)
    return fast


def check_fast_graph(proto) -> None:
    ops = {n.op_type for n in proto.graph.node}
    if ops - FAST_OPS or "DepthToSpace" not in ops:
        raise RewriteNotApplicable(f"unexpected fast ONNX graph: ops {sorted(ops)}")


def dequantize_last(proto):
    """int8: move the final DequantizeLinear behind the layout nodes that end the graph, so they
    move bytes instead of floats (same values: a per-tensor dequantize commutes with them)."""
    g = Graph(proto)
    producer = g.producers()
    tail, name = [], g.g.output[0].name
    while name in producer and producer[name].op_type in _LAYOUT_TAIL:
        tail.append(producer[name])
        name = producer[name].input[0]
    dq = producer.get(name)
    if not tail or dq is None or dq.op_type != "DequantizeLinear" or g.array(dq.input[1]).size != 1:
        return g.proto
    if sum(name in n.input for n in g.g.node) != 1:
        return g.proto  # the float tensor has other readers
    output = tail[0].output[0]
    tail[-1].input[0] = dq.input[0]
    tail[0].output[0] = "output_uint8"
    dq.input[0], dq.output[0] = "output_uint8", output
    g.set_nodes([n for n in g.g.node if n is not dq] + [dq])
    return g.finish()
