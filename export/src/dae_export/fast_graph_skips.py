"""Exact speed rewrite for decoders with an additive skip before the last conv (seed-skip).

Resize(2x, y) -> Add(skip) -> Conv3x3(1 output) -> Sigmoid becomes
Sigmoid(DepthToSpace(PhaseConv(y)) + Conv3x3_nobias(skip)): conv is linear, so
conv(up(y) + s) = conv(up(y)) + conv(s) - b, and conv(up(y)) is the seed's 4-phase conv at low
resolution (dae_export.phase_kernels) followed by a DepthToSpace of a 4-channel map. The
largest uint8 Resize (32 channels at full resolution: ~27% of the plain int8 graph's time at
batch 256) and the 32-channel Add go; the full-resolution 1-output conv stays, on the skip.
Measured 2026-11-26 (benchmarks/README.md, "Making the zoo fast"): int8 batch 256 2.58x -> 2.13x
the seed's fast graph, batch 1 1.86x -> 1.29x; fp32 the same at batch 256, 9% faster at batch 1.
Exact up to float rounding; the export's parity check proves it again.
"""

from __future__ import annotations

import numpy as np

from dae_export.graph_edit import Graph
from dae_export.onnx_fp32 import ExportError
from dae_export.phase_kernels import upsample_conv_phases

SKIP_TAIL = ["Resize", "Add", "Conv", "Sigmoid"]


def last_skip_phase(proto):
    """The rewrite above; raises ExportError if the graph does not end that way."""
    from onnx import helper

    from dae_export.fast_graph import _is_conv3x3_same, _is_nearest_2x

    g = Graph(proto)
    found = next((c for n in g.g.node if n.op_type == "Resize" and (c := g.chain(n, SKIP_TAIL))), None)
    if found is None or not _is_conv3x3_same(g, found[2]) or not _is_nearest_2x(g, found[0]):
        raise ExportError("fast graph: the decoder does not end with Resize(2x)-Add-Conv3x3-Sigmoid")
    up, add, conv, sigmoid = found
    skip = next(i for i in add.input if i != up.output[0])
    w, b = g.array(conv.input[1]), g.array(conv.input[2])
    new = [
        helper.make_node(
            "Conv",
            [up.input[0], g.add("last_phases_w", upsample_conv_phases(w)), g.add("last_phases_b", np.tile(b, 4))],
            ["last_phases"],
            name=f"{conv.name}_phases",
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
        ),  # fmt: skip
        helper.make_node("DepthToSpace", ["last_phases"], ["last_upsampled"], name="phases_to_pixels", blocksize=2),
        helper.make_node(
            "Conv",
            [skip, conv.input[1]],
            ["last_skip"],
            name=f"{conv.name}_skip",
            kernel_shape=[3, 3],
            pads=[1, 1, 1, 1],
        ),  # fmt: skip
        helper.make_node("Add", ["last_upsampled", "last_skip"], ["last_sum"], name=add.name),
        helper.make_node("Sigmoid", ["last_sum"], [sigmoid.output[0]], name=sigmoid.name),
    ]
    g.replace(found, new)
    return g.finish()
