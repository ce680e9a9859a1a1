"""Lever prototype (issue 26): the fast graph's decoder_a (Upsample(2x) + Conv3x3 folded into a 3x3 Conv with
4 phase outputs at low resolution, K = 9 x 32, five of each phase's nine taps zero) as the shifted 2x2 form
(phase_kernels.shifted_upsample_conv: K = 4 x 32, 8x8 outputs for a 7x7 input), then the phases gathered
back onto the unshifted grid with 4 Slices + Concat, so decoder_b and everything after are unchanged.
Exact up to float rounding; any image size (the Slices' bounds are relative).

    python benchmarks/arm_levers/shifted_decoder.py FAST.onnx OUT.onnx [a|14|4]   (a, 4: decoder_a only)

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


def decoder_a_per_phase(proto):
    """decoder_a as 4 Convs, one per phase, each a 2x2 conv (K = 4 x 32) padded so that it lands on the
    unshifted grid, then Concat: 4 x 49 x 32 x 128 = 0.80 M multiplications instead of 1.81 M, no Slices.
    Phase (p, q) is the shifted form's phase (1 - p, 1 - q) one position on: it reads rows i - 1 + p .. i + p and
    columns j - 1 + q .. j + q, so pads (1 - p, 1 - q, p, q)."""
    from onnx import helper

    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.kernels import shifted_upsample_conv, upsample_conv_phases

    g = Graph(proto)
    conv = next(n for n in g.g.node if n.op_type == "Conv" and n.output[0] == "decoder_a")
    w4, b4 = g.array(conv.input[1]), g.array(conv.input[2])
    co = w4.shape[0] // 4
    k = shifted_upsample_conv(unfold(upsample_conv_phases, w4, 4)).reshape(2, 2, co, -1, 2, 2)
    new = []
    for p in (0, 1):
        for q in (0, 1):
            wk, bk = g.add(f"phase{p}{q}_w", k[1 - p, 1 - q]), g.add(f"phase{p}{q}_b", b4[:co])
            new.append(helper.make_node("Conv", [conv.input[0], wk, bk], [f"phase{p}{q}"], name=f"{conv.name}_{p}{q}",
                                        kernel_shape=[2, 2], pads=[1 - p, 1 - q, p, q]))  # fmt: skip
    new.append(helper.make_node("Concat", [f"phase{p}{q}" for p in (0, 1) for q in (0, 1)], ["decoder_a"], axis=1))
    g.replace([conv], new)
    return g.finish()


def decoder_at_14(proto):
    """Both decoder convs in the shifted 2x2 form, each followed by DepthToSpace(2) and a one-pixel crop:
    decoder_a (7x7 -> 8x8 phases -> 14x14 map) and decoder_b at 14x14 (15x15 x 4 phases -> 28x28), instead of
    decoder_b's 16-phase 2x2 conv over 128 channels at 7x7 (K = 512, three quarters of its taps zero).
    Multiplications per image: decoder_a 1.81 M -> 1.05 M, decoder_b 0.40 M -> 0.12 M."""
    from onnx import helper

    from dae_export.rewrites.graph_edit import Graph
    from dae_export.rewrites.kernels import shifted_upsample_conv, shifted_upsample_conv_phases, upsample_conv_phases

    g = Graph(proto)
    names = ["Conv", "Relu", "Conv", "Sigmoid", "DepthToSpace", "Slice"]
    conv_a = next(n for n in g.g.node if n.op_type == "Conv" and n.output[0] == "decoder_a")
    chain = g.chain(conv_a, names)
    if chain is None:
        raise ValueError("not the fast graph's decoder (Conv-Relu-Conv-Sigmoid-DepthToSpace-Slice)")
    conv_b, crop = chain[2], chain[5]
    w_a = unfold(upsample_conv_phases, g.array(conv_a.input[1]), 4)
    w_b = unfold(shifted_upsample_conv_phases, g.array(conv_b.input[1]), 16)
    b_a, b_b = g.array(conv_a.input[2])[: w_a.shape[0]], g.array(conv_b.input[2])[: w_b.shape[0]]
    crop_args = [g.add("crop1_start", np.array([1, 1], np.int64)), g.add("crop1_end", np.array([-1, -1], np.int64)),
                 g.add("crop1_axes", np.array([2, 3], np.int64))]  # fmt: skip
    new = []
    for stage, (w, b, act, x, out) in enumerate(
        [(w_a, b_a, "Relu", conv_a.input[0], "decoder_map"), (w_b, b_b, "Sigmoid", "decoder_map", crop.output[0])]
    ):
        wk, bk = g.add(f"dec{stage}_w", shifted_upsample_conv(w)), g.add(f"dec{stage}_b", np.tile(b, 4))
        new += [
            helper.make_node("Conv", [x, wk, bk], [f"dec{stage}_conv"], name=f"decoder_{stage}", kernel_shape=[2, 2],
                             pads=[1, 1, 1, 1]),
            helper.make_node(act, [f"dec{stage}_conv"], [f"dec{stage}_act"]),
            helper.make_node("DepthToSpace", [f"dec{stage}_act"], [f"dec{stage}_pixels"], blocksize=2, mode="DCR"),
            helper.make_node("Slice", [f"dec{stage}_pixels", *crop_args], [out], name=f"decoder_{stage}_crop"),
        ]  # fmt: skip
    g.replace(chain, new)
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


def main(src: str, dst: str, form: str = "a") -> None:
    import onnx

    onnx.save({"a": shifted_decoder_a, "14": decoder_at_14, "4": decoder_a_per_phase}[form](onnx.load(src)), dst)


if __name__ == "__main__":
    main(*sys.argv[1:4])
