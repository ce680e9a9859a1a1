"""Lever prototype (issue 26), for int8: shifted_decoder.decoder_at_14 with its two DepthToSpace(2) + crop
steps written as NHWC Reshapes around one Transpose each (arm_rewrites.nhwc_output_tail's idea at block 2),
so that onnxruntime's int8 NHWC convs feed them without layout nodes and no shape arithmetic is left
(`dae export`'s int8 source turns a DepthToSpace(2) into 7 nodes with Shape/Mul/Div). Any image size.

    python benchmarks/arm_levers/decoder_nhwc.py DEC14.onnx OUT.onnx   (DEC14: shifted_decoder.py ... 14)
"""

from __future__ import annotations

import sys

import numpy as np


def _nhwc_pixels(g, helper, src: str, out: str, channels: int, tag: str, last: bool) -> list:
    """NCHW (N, 4C, h, w) phases (DCR) -> NHWC (N, 2h - 2, 2w - 2, C), the one-pixel border cropped; then
    back to NCHW unless `last` (the graph's NHWC output)."""

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


def nhwc_decoder(proto):
    from onnx import helper

    from dae_export.rewrites.graph_edit import Graph

    g = Graph(proto)
    nodes = list(g.g.node)
    ops = [n.op_type for n in nodes]
    d2s = [n for n in nodes if n.op_type == "DepthToSpace"]
    last = nodes[-1]
    if (
        len(d2s) != 2
        or ops[-1] != "Transpose"
        or any(g.consumer(n.output[0]) is None or g.consumer(n.output[0]).op_type != "Slice" for n in d2s)
    ):
        raise ValueError("not shifted_decoder.decoder_at_14's graph")
    first, second = d2s
    crop0, crop1 = g.consumer(first.output[0]), g.consumer(second.output[0])
    conv0 = next(n for n in nodes if n.output[0] == "dec0_conv")
    channels = g.array(conv0.input[1]).shape[0] // 4
    new0 = _nhwc_pixels(g, helper, first.input[0], crop0.output[0], channels, "map14", last=False)
    new1 = _nhwc_pixels(g, helper, second.input[0], last.output[0], 1, "map28", last=True)
    outputs = [second.output[0], crop1.output[0], last.output[0]]
    g.replace([first, crop0], new0)  # node objects are stale after a replace: find the tail again
    g.replace([next(n for n in g.g.node if n.output[0] == o) for o in outputs], new1)
    return g.finish()


def main(src: str, dst: str) -> None:
    import onnx

    onnx.save(nhwc_decoder(onnx.load(src)), dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
