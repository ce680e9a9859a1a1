"""ARM-only exact rewrites of the fast graph, for the Raspberry Pi bundle (dae_export.steps.arm_forms).

Chosen by instruction counts on Cortex-A72/A76 (`make arm-cost`, benchmarks/README.md "Second round of
levers", 2026-11-26, and "ncnn and MNN", 2026-12-06); the x86 export keeps rewrites.seed's forms. The decoder
forms are rewrites.arm_decoder's.
"""

from __future__ import annotations

import numpy as np

from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.patterns import attributes
from dae_export.rewrites.seed import FAST_OPS


def last_conv_as_taps(proto):
    """ARM fp32 (`--target rpi`): the decoder's last Conv (2x2, pads 1, 16 phase outputs) becomes a
    1x1 Conv with one output group per tap, then Pad, one Slice per tap and a Sum with the bias.
    onnxruntime's aarch64 wheel has no NCHWc kernels: its Conv is im2col + SGEMM, and this conv's
    im2col (K = 512) cost more than the 1x1 conv (a GEMM on the input as it is) and the shift-adds.
    Measured in instructions per digit on emulated Cortex-A72/A76: -5.6 % for the whole fp32 model
    (benchmarks/README.md, ARM cost). The same rewrite of the 3x3 convs cost 1.2-1.8x more: keep those."""
    from onnx import helper

    g = Graph(proto)
    convs = [n for n in g.g.node if n.op_type == "Conv"]
    conv = convs[-1] if convs else None
    attrs = attributes(conv) if conv else {}
    w = g.array(conv.input[1]) if conv and conv.input[1] in g.weights else None
    if (
        w is None
        or len(conv.input) < 3
        or w.shape[2:] != (2, 2)
        or attrs.get("pads") != [1, 1, 1, 1]
        or attrs.get("strides", [1, 1]) != [1, 1]
        or attrs.get("dilations", [1, 1]) != [1, 1]
        or attrs.get("group", 1) != 1
    ):
        raise RewriteNotApplicable(
            "ARM fast graph: the last Conv is not the 2x2 phase conv of the low-resolution decoder"
        )
    b, (co, ci) = g.array(conv.input[2]), w.shape[:2]
    taps = [(ty, tx) for ty in (0, 1) for tx in (0, 1)]
    weights = np.concatenate([w[:, :, ty, tx] for ty, tx in taps]).reshape(4 * co, ci, 1, 1)
    new = [
        helper.make_node("Conv", [conv.input[0], g.add("taps_w", weights)], ["taps"], name="taps", kernel_shape=[1, 1]),
        helper.make_node("Pad", ["taps", g.add("taps_pads", np.array([0, 0, 1, 1] * 2, np.int64))], ["taps_pad"]),
    ]  # fmt: skip
    axes = g.add("taps_axes", np.array([1, 2, 3], np.int64))
    for i, (ty, tx) in enumerate(taps):
        # tap (ty, tx) of output pixel (y, x) reads input (y - 1 + ty, x - 1 + tx): padded row y + ty
        end = [(i + 1) * co, -(1 - ty) or np.iinfo(np.int64).max, -(1 - tx) or np.iinfo(np.int64).max]
        new.append(
            helper.make_node(
                "Slice",
                ["taps_pad", g.add(f"tap{i}_start", np.array([i * co, ty, tx], np.int64)),
                 g.add(f"tap{i}_end", np.array(end, np.int64)), axes],
                [f"tap{i}"],
            )
        )  # fmt: skip
    bias = g.add("taps_b", b.reshape(co, 1, 1))
    new.append(helper.make_node("Sum", [f"tap{i}" for i in range(4)] + [bias], [conv.output[0]]))
    g.replace([conv], new)
    return g.finish()


def nhwc_output_tail(proto):
    """ARM int8 (`--target rpi`): after quantization, the output's Transpose -> DepthToSpace(4) -> Slice ->
    Transpose (uint8) becomes Reshapes around one Transpose that interleave the 16 phases straight from
    the NHWC conv output; onnxruntime cancels the leading Transpose against its NHWC layout. Bit-identical.
    Four Reshapes instead of one because a Reshape can only keep dims in place or merge the trailing ones
    when the image size is not known. -0.9 % per int8 inference on emulated Cortex-A76 at batch 1."""
    from onnx import helper

    g = Graph(proto)
    nodes = list(g.g.node)
    producer = {o: n for n in nodes for o in n.output}
    tail = [nodes[-1]] if nodes else []
    while len(tail) < 4 and tail[-1].input and tail[-1].input[0] in producer:
        tail.append(producer[tail[-1].input[0]])
    dq, transpose, crop, d2s = (tail + [None] * 4)[:4]
    attrs = attributes(d2s) if d2s else {}
    if (
        [n.op_type for n in tail] != ["DequantizeLinear", "Transpose", "Slice", "DepthToSpace"]
        or attrs.get("blocksize") != 4
        or attrs.get("mode", b"DCR") not in (b"DCR", "DCR")
        or [int(v) for v in g.array(crop.input[1])] != [3, 3]
        or [int(v) for v in g.array(crop.input[2])] != [-1, -1]
        or [int(v) for v in g.array(crop.input[3])] != [2, 3]
    ):
        raise RewriteNotApplicable(
            "ARM int8: the output is not DepthToSpace(4) -> Slice -> Transpose -> DequantizeLinear"
        )

    def shape(name: str, dims: list[int]) -> str:
        return g.add("nhwc_tail_" + name, np.array(dims, np.int64))

    new = [  # (N, 16, h, w) -> NHWC (N, h, w, 4 rows, 4 cols) -> (N, h, rows, w, cols) -> (N, 4h, 1, 4w)
        helper.make_node("Transpose", [d2s.input[0]], ["phases_nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["phases_nhwc", shape("phase_grid", [0, 0, 0, 4, 4])], ["phase_grid"]),
        helper.make_node("Transpose", ["phase_grid"], ["phase_rows"], perm=[0, 1, 3, 2, 4]),
        helper.make_node("Reshape", ["phase_rows", shape("merge_cols", [0, 0, 0, -1])], ["pixel_cols"]),
        helper.make_node("Reshape", ["pixel_cols", shape("merge_rows", [0, -1, 1, 0])], ["pixels"]),
        helper.make_node(
            "Slice",
            ["pixels", shape("crop_start", [3, 3]), shape("crop_end", [-1, -1]), shape("crop_axes", [1, 3])],
            ["pixels_cropped"],
            name=crop.name,
        ),
        helper.make_node("Reshape", ["pixels_cropped", shape("to_nhwc", [0, 0, -1, 1])], [transpose.output[0]]),
    ]
    g.replace([d2s, crop, transpose], new)
    return g.finish()


def arm_fp32(plain):
    """The fp32 graph `--target rpi` ships: the decoder as two shifted 2x2 convs (arm_decoder.decoder_at_14),
    the last one as taps: -12.8 % instructions per digit against the fast graph with its last conv as taps
    (A72 and A76, batch 1; -13.8 % at batch 64)."""
    from dae_export.rewrites.arm_decoder import decoder_at_14

    arm = last_conv_as_taps(decoder_at_14(plain))
    ops = {n.op_type for n in arm.graph.node}
    if ops - FAST_OPS - {"Pad", "Sum"}:
        raise RewriteNotApplicable(f"unexpected ARM ONNX graph: ops {sorted(ops)}")
    return arm
