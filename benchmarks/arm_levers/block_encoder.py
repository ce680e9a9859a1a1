"""Lever prototype (issue 26), for int8: the first Conv3x3 (1 channel) + Relu + MaxPool(2x2) over the image
read as 2x2 pixel blocks (4 channels at half resolution: Reshapes and one small Transpose of the input),
as one 3x3 Conv whose 4 x 32 outputs are the pooling phases, then the max over phases as
fast_graph.column_phase_encoder does it (NHWC Reshape + 1x4 MaxPool). The bundle's ARM int8 form reads 2
columns (2 input channels, kernel 4x3 stride (2, 1), K = 24); here K = 36 but 4 input channels, a stride-1
3x3 conv like the network's others. Exact; widths and heights must be even (the bundle's are multiples of 4).

    python benchmarks/arm_levers/block_encoder.py FAST.onnx OUT.onnx
"""

from __future__ import annotations

import sys

import numpy as np


def block_phase_conv(w: np.ndarray) -> np.ndarray:
    """(Co, 1, 3, 3) -> (4 * Co, 4, 3, 3): output (phase row p, phase col q, o), input channel (row r, col s)
    of the 2x2 block at offset (di, dj) reads pixel tap (2 di + r - p + 1, 2 dj + s - q + 1) if in the 3x3."""
    co = w.shape[0]
    k = np.zeros((2, 2, co, 2, 2, 3, 3), np.float32)
    for p in (0, 1):
        for q in (0, 1):
            for r in (0, 1):
                for s in (0, 1):
                    for di in (-1, 0, 1):
                        for dj in (-1, 0, 1):
                            ky, kx = 2 * di + r - p + 1, 2 * dj + s - q + 1
                            if 0 <= ky <= 2 and 0 <= kx <= 2:
                                k[p, q, :, r, s, di + 1, dj + 1] = w[:, 0, ky, kx]
    return k.reshape(4 * co, 4, 3, 3)


def block_encoder(proto):
    from onnx import helper

    from dae_export.fast_graph import _encoder_head
    from dae_export.graph_edit import Graph

    g = Graph(proto)
    head, shared = _encoder_head(g)
    if head is None or shared or g.array(head[1].input[1]).shape[1:] != (1, 3, 3):
        raise ValueError("the encoder does not start with a 1-channel Conv3x3-Relu-MaxPool(2x2)")
    edge, conv, relu, pool = head
    w, b = g.array(conv.input[1]), g.array(conv.input[2])
    co = w.shape[0]

    def const(name: str, dims: list[int]) -> str:
        return g.add(name, np.array(dims, np.int64))

    # NHWC (N, H, W, 1) -> (N, H, 1, W/2, 2) -> (N, H/2, 2, W/2, 2) -> (N, H/2, W/2, 2, 2) -> (N, H/2, W/2, 4):
    # only Reshapes that copy or merge dims (any image size) around one Transpose; then to NCHW, a Transpose
    # onnxruntime's int8 NHWC layout cancels
    new = [
        helper.make_node("Reshape", [edge.input[0], const("col_pairs", [0, 0, 1, -1, 2])], ["input_col_pairs"]),
        helper.make_node("Reshape", ["input_col_pairs", const("row_pairs", [0, -1, 2, 0, 0])], ["input_row_pairs"]),
        helper.make_node("Transpose", ["input_row_pairs"], ["input_block_grid"], perm=[0, 1, 3, 2, 4]),
        helper.make_node("Reshape", ["input_block_grid", const("blocks", [0, 0, 0, 4])], ["input_blocks_nhwc"]),
        helper.make_node("Transpose", ["input_blocks_nhwc"], ["input_blocks"], name=edge.name, perm=[0, 3, 1, 2]),
        helper.make_node(
            "Conv",
            ["input_blocks", g.add("block_w", block_phase_conv(w)), g.add("block_b", np.tile(b, 4))],
            ["encoder_phases"],
            name=conv.name,
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
        ),  # fmt: skip
        helper.make_node("Relu", ["encoder_phases"], ["encoder_relu"], name=relu.name),
        helper.make_node("Transpose", ["encoder_relu"], ["encoder_nhwc"], name="encoder_to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node(
            "Reshape",
            ["encoder_nhwc", const("phases_as_columns", [0, 0, -1, co])],
            ["encoder_columns"],
            name="encoder_phases_as_columns",
        ),  # fmt: skip
        helper.make_node("Transpose", ["encoder_columns"], ["encoder_nchw"], name="encoder_to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node(
            "MaxPool", ["encoder_nchw"], [pool.output[0]], name=pool.name, kernel_shape=[1, 4], strides=[1, 4]
        ),  # fmt: skip
    ]
    g.replace(head, new)
    return g.finish()


def main(src: str, dst: str) -> None:
    import onnx

    onnx.save(block_encoder(onnx.load(src)), dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
