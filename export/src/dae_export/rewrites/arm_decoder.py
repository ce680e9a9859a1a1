"""ARM-only decoder forms for the Raspberry Pi bundle (dae_export.steps.arm_forms), from the plain graph:
fewer multiplications than the fast graph's decoder, in the shapes onnxruntime's aarch64 kernels run best.

The fast graph (rewrites.seed) computes Resize(2x) -> Conv3x3 as a 3x3 conv at 7x7 with 4 phase outputs
(K = 9 x 32, five of each phase's nine taps zero), and the second upsampled conv as a 2x2 conv with 16 phases
over all 128 of them (K = 512, three quarters zero). On x86 those GEMMs run near the machine's matmul rate; on
ARM (im2col + GEMM, no NCHWc kernels in onnxruntime's wheel) the zero taps cost their full price. Chosen by
instruction counts on emulated Cortex-A72/A76 (`make arm-cost`, benchmarks/README.md "ncnn and MNN", levers):
- decoder_at_14: both convs in the shifted 2x2 form (kernels.shifted_upsample_conv, K = 4 x 32), each then
  DepthToSpace(2) and a one-pixel crop: 2.21 M -> 1.17 M multiplications per 28x28 digit. fp32 (with
  rewrites.arm.last_conv_as_taps) and, with `nhwc`, int8 for CPUs without a dot product.
- decoder_a_per_phase: only the first conv, as 4 Convs (one per phase, each the shifted 2x2 kernel padded to
  land on the unshifted grid) and a Concat; the second stays the fast graph's: int8 s8s8 on CPUs with SDOT.
All exact up to float rounding; the export checks each form against Keras (fp32) or its int8 gate.
"""

from __future__ import annotations

import numpy as np

from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.kernels import shifted_upsample_conv
from dae_export.rewrites.patterns import conv_node, find_upsample_tail, pixels_and_crop
from dae_export.rewrites.seed import lowres_decoder, transpose_edges

TAIL = ["Resize", "Conv", "Relu", "Resize", "Conv", "Sigmoid"]
PROBLEM = "ARM decoder: the decoder is not Resize(2x)-Conv3x3-Relu-Resize(2x)-Conv3x3-Sigmoid"


def decoder_at_14(plain, nhwc: bool = False):
    """The plain graph with the seed decoder as two shifted 2x2 convs (7x7 -> 14x14 -> 28x28), edges as
    Transposes (rewrites.seed.transpose_edges). nhwc: each DepthToSpace(2) + crop as NHWC Reshapes around
    one Transpose (nhwc_pixels), the last one ending the graph in NHWC: for int8, where a DepthToSpace(2)
    would otherwise become Shape arithmetic (rewrites.phases.depth_to_space_as_layout)."""
    from onnx import helper

    g = Graph(plain)
    found = find_upsample_tail(g, TAIL, PROBLEM)
    up1, conv_a, relu, _, conv_b, sigmoid = found
    new = []
    for stage, (conv, act, x, out) in enumerate(
        [(conv_a, relu, up1.input[0], "decoder_map"), (conv_b, sigmoid, "decoder_map", sigmoid.output[0])]
    ):
        w, b = g.array(conv.input[1]), g.array(conv.input[2])
        weights = [g.add(f"dec{stage}_w", shifted_upsample_conv(w)), g.add(f"dec{stage}_b", np.tile(b, 4))]
        new += [
            conv_node([x, *weights], f"dec{stage}_conv", f"decoder_{stage}", 2),
            helper.make_node(act.op_type, [f"dec{stage}_conv"], [f"dec{stage}_act"], name=act.name),
            *pixels_and_crop(g, f"dec{stage}_act", f"dec{stage}_pixels", out, 2, 1,
                             (f"decoder_{stage}_pixels", f"decoder_{stage}_crop"), f"dec{stage}_crop", mode="DCR"),
        ]  # fmt: skip
    g.replace(found, new)
    proto = transpose_edges(g.finish())
    return nhwc_pixels(proto) if nhwc else proto


def decoder_a_per_phase(plain):
    """The fast graph (rewrites.seed.lowres_decoder, edges as Transposes) with its first decoder conv as 4
    Convs, one per output phase, then Concat: 4 x 49 x 32 x 128 = 0.80 M multiplications instead of 1.81 M.
    Phase (p, q) at (i, j) is pixel (2i + p, 2j + q), the shifted form's phase (1 - p, 1 - q) one position on:
    it reads rows i - 1 + p .. i + p and columns j - 1 + q .. j + q, so pads (1 - p, 1 - q, p, q)."""
    from onnx import helper

    conv_a = find_upsample_tail(Graph(plain, copy=False), TAIL, PROBLEM)[1]
    src = Graph(plain, copy=False)
    w, b = src.array(conv_a.input[1]), src.array(conv_a.input[2])
    g = Graph(transpose_edges(lowres_decoder(plain)))
    phase_conv = next(n for n in g.g.node if n.op_type == "Conv" and n.output[0] == "decoder_a")
    k = shifted_upsample_conv(w).reshape(2, 2, *w.shape[:2], 2, 2)
    new = []
    for p in (0, 1):
        for q in (0, 1):
            inputs = [phase_conv.input[0], g.add(f"phase{p}{q}_w", k[1 - p, 1 - q]), g.add(f"phase{p}{q}_b", b)]
            new.append(helper.make_node("Conv", inputs, [f"phase{p}{q}"], name=f"{phase_conv.name}_{p}{q}",
                                        kernel_shape=[2, 2], pads=[1 - p, 1 - q, p, q]))  # fmt: skip
    new.append(helper.make_node("Concat", [f"phase{p}{q}" for p in (0, 1) for q in (0, 1)], ["decoder_a"], axis=1))
    g.replace([phase_conv], new)
    return g.finish()


def _nhwc_pixels(g: Graph, src: str, out: str, channels: int, tag: str, last: bool) -> list:
    """NCHW (N, 4C, h, w) phases (DCR) -> NHWC (N, 2h - 2, 2w - 2, C), the one-pixel border cropped; then back
    to NCHW unless `last` (the graph's NHWC output). Reshapes only keep dims in place or merge trailing ones,
    so any image size works without Shape arithmetic."""
    from onnx import helper

    def const(name: str, dims: list[int]) -> str:
        return g.add(f"{tag}_{name}_const", np.array(dims, np.int64))

    c = channels
    nodes = [
        helper.make_node("Transpose", [src], [f"{tag}_nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", [f"{tag}_nhwc", const("grid", [0, 0, 0, 2, 2, c])], [f"{tag}_grid"]),
        helper.make_node("Transpose", [f"{tag}_grid"], [f"{tag}_rows"], perm=[0, 1, 3, 2, 4, 5]),
        helper.make_node("Reshape", [f"{tag}_rows", const("cols", [0, 0, 0, -1, c])], [f"{tag}_cols"]),
        helper.make_node("Reshape", [f"{tag}_cols", const("rows", [0, -1, 1, 0, 0])], [f"{tag}_rows1"]),
        helper.make_node("Reshape", [f"{tag}_rows1", const("map", [0, 0, -1, c])], [f"{tag}_map"]),
        helper.make_node(
            "Slice",
            [f"{tag}_map", const("start", [1, 1]), const("end", [-1, -1]), const("axes", [1, 2])],
            [out if last else f"{tag}_crop"],
        ),  # fmt: skip
    ]
    if not last:
        nodes.append(helper.make_node("Transpose", [f"{tag}_crop"], [out], perm=[0, 3, 1, 2]))
    return nodes


def nhwc_pixels(proto):
    """decoder_at_14's two DepthToSpace(2) + crop as NHWC Reshapes (_nhwc_pixels); the second one's NHWC
    result is the graph's output, so the output Transpose goes."""
    from dae_export.errors import RewriteNotApplicable

    g = Graph(proto)
    names = ["decoder_0_pixels", "decoder_0_crop", "decoder_1_pixels", "decoder_1_crop"]
    nodes = {n.name: n for n in g.g.node}
    last = g.g.node[-1]
    if any(n not in nodes for n in names) or last.op_type != "Transpose" or last.input[0] != nodes[names[3]].output[0]:
        raise RewriteNotApplicable("ARM int8: not decoder_at_14's graph")
    channels = g.array(nodes["decoder_0"].input[1]).shape[0] // 4
    first = _nhwc_pixels(g, nodes[names[0]].input[0], nodes[names[1]].output[0], channels, "map14", last=False)
    second = _nhwc_pixels(g, nodes[names[2]].input[0], last.output[0], 1, "map28", last=True)
    g.replace([nodes[names[0]], nodes[names[1]]], first)
    tail = [n for n in g.g.node if n.name in names[2:]] + [g.g.node[-1]]
    g.replace(tail, second)
    return g.finish()
