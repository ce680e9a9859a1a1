"""Lever prototype (issue 26, not shipped; the forms that won are dae_export.rewrites.arm_decoder's, in the Pi
bundle since 2026-12-06): the fast graph's decoder_a (Upsample(2x) + Conv3x3 folded into a 3x3 Conv with
4 phase outputs at low resolution, K = 9 x 32, five of each phase's nine taps zero) as the shifted 2x2 form
(phase_kernels.shifted_upsample_conv: K = 4 x 32, 8x8 outputs for a 7x7 input), then the phases gathered
back onto the unshifted grid with 4 Slices + Concat, so decoder_b and everything after are unchanged.
Exact up to float rounding; any image size (the Slices' bounds are relative).

    python benchmarks/arm_levers/shifted_decoder.py FAST.onnx OUT.onnx

Multiplications of decoder_a per 28x28 image: 7*7*128*288 = 1.81 M before, 8*8*128*128 = 1.05 M after.
Shifted phase (p', q') at (i, j) is pixel (2i - 1 + p', 2j - 1 + q'); the unshifted phase (p, q) at (i, j) is
pixel (2i + p, 2j + q) = shifted phase (1 - p, 1 - q) at (i + p, j + q).
"""

from __future__ import annotations

import sys

import numpy as np

END = np.iinfo(np.int64).max


def shifted_decoder_a(proto):
    from onnx import helper

    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.kernels import shifted_upsample_conv, upsample_conv_phases

    g = Graph(proto)
    conv = next(n for n in g.g.node if n.op_type == "Conv" and n.output[0] == "decoder_a")
    w4, b4 = g.array(conv.input[1]), g.array(conv.input[2])
    co = w4.shape[0] // 4
    w = unfold(upsample_conv_phases, w4, 4)  # the original 3x3 conv, recovered from its 4 phases
    new = [helper.make_node("Conv", [conv.input[0], g.add("decoder_a_shift_w", shifted_upsample_conv(w)),
                                     g.add("decoder_a_shift_b", b4)], ["decoder_a_shifted"], name=conv.name,
                            kernel_shape=[2, 2], pads=[1, 1, 1, 1])]  # fmt: skip
    axes = g.add("phase_axes", np.array([1, 2, 3], np.int64))
    for p in (0, 1):
        for q in (0, 1):
            src = (1 - p) * 2 + (1 - q)
            starts = g.add(f"phase{p}{q}_start", np.array([src * co, p, q], np.int64))
            ends = g.add(f"phase{p}{q}_end", np.array([(src + 1) * co, -1 + p or END, -1 + q or END], np.int64))
            new.append(helper.make_node("Slice", ["decoder_a_shifted", starts, ends, axes], [f"phase{p}{q}"]))
    new.append(helper.make_node("Concat", [f"phase{p}{q}" for p in (0, 1) for q in (0, 1)], ["decoder_a"], axis=1))
    g.replace([conv], new)
    return g.finish()


def unfold(fold, folded: np.ndarray, phases: int) -> np.ndarray:
    """The 3x3 weights w (Co, Ci, 3, 3) with fold(w) == folded, fold being a phase_kernels function (linear in
    w, output channels ordered (phase, o)): least squares per output channel over the fold of every unit
    kernel; raises if no w reproduces `folded` (then it is not this phase form)."""
    co = folded.shape[0] // phases
    for ci in range(1, folded.shape[1] + 1):
        if fold(np.zeros((1, ci, 3, 3), np.float32)).shape[1:] == folded.shape[1:]:
            break
    units = np.eye(ci * 9, dtype=np.float32).reshape(-1, 1, ci, 3, 3)
    basis = np.stack([fold(u).reshape(-1) for u in units])  # (ci * 9, phases * rest)
    target = np.stack([folded[o::co].reshape(-1) for o in range(co)])  # (co, phases * rest)
    solved, *_ = np.linalg.lstsq(basis.T, target.T, rcond=None)
    w = solved.T.reshape(co, ci, 3, 3).astype(np.float32)
    if not np.allclose(fold(w), folded, atol=1e-5):
        raise ValueError(f"not a {fold.__name__} form")
    return w


def main(src: str, dst: str) -> None:
    import onnx

    onnx.save(shifted_decoder_a(onnx.load(src)), dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
