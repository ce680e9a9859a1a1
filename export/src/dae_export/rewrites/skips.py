"""Exact speed rewrite for decoders with an additive skip before the last conv (seed-skip).

Resize(2x, y) -> Add(skip) -> Conv3x3(1 output) -> Sigmoid becomes
Sigmoid(DepthToSpace(PhaseConv(y)) + Conv3x3_nobias(skip)): conv is linear, so
conv(up(y) + s) = conv(up(y)) + conv(s) - b, and conv(up(y)) is the seed's 4-phase conv at low
resolution (dae_export.rewrites.kernels) followed by a DepthToSpace of a 4-channel map. The
largest uint8 Resize (32 channels at full resolution: ~27% of the plain int8 graph's time at
batch 256) and the 32-channel Add go; the full-resolution 1-output conv stays, on the skip.
Measured 2026-11-26 (benchmarks/README.md, "Making the zoo fast"): int8 batch 256 2.58x -> 2.13x
the seed's fast graph, batch 1 1.86x -> 1.29x; fp32 the same at batch 256, 9% faster at batch 1.
Exact up to float rounding; the export's parity check proves it again.
"""

from __future__ import annotations

from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.patterns import conv_node, find_upsample_tail, upsample_phase_conv

SKIP_TAIL = ["Resize", "Add", "Conv", "Sigmoid"]


def last_skip_phase(proto):
    """The rewrite above; raises RewriteNotApplicable if the graph does not end that way."""
    from onnx import helper

    g = Graph(proto)
    found = find_upsample_tail(g, SKIP_TAIL, "fast graph: the decoder does not end with Resize(2x)-Add-Conv3x3-Sigmoid")
    up, add, conv, sigmoid = found
    skip = next(i for i in add.input if i != up.output[0])
    new = [
        upsample_phase_conv(g, up.input[0], conv, "last_phases", f"{conv.name}_phases", "last_phases"),
        helper.make_node("DepthToSpace", ["last_phases"], ["last_upsampled"], name="phases_to_pixels", blocksize=2),
        conv_node([skip, conv.input[1]], "last_skip", f"{conv.name}_skip", 3),
        helper.make_node("Add", ["last_upsampled", "last_skip"], ["last_sum"], name=add.name),
        helper.make_node("Sigmoid", ["last_sum"], [sigmoid.output[0]], name=sigmoid.name),
    ]
    g.replace(found, new)
    return g.finish()
