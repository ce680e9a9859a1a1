"""Weights for exact rewrites of upsampling and pooling as convolutions over pixel phases.

A 2x nearest upsample followed by a 3x3 'same' conv gives each output pixel a weighted sum
of a 2x2 neighbourhood of the low-resolution input, with weights that depend only on the
pixel's phase (its row and column parity). So the pair is one conv at low resolution whose
output channels are the phases, followed by DepthToSpace. The same idea run backwards turns
conv + 2x2 max pool into a conv that outputs the pooling phases, then a max over them.

Channel orders follow ONNX: DepthToSpace (DCR) and SpaceToDepth put the phase (row, col)
before the channel, i.e. channel index = (phase_row * block + phase_col) * C + c.
All functions are plain numpy and exact: every output weight is a sum of original weights.
"""

from __future__ import annotations

import numpy as np


def _upsample_taps() -> np.ndarray:
    """T[phase, offset + 1, tap + 1] = 1 where a 3x3 tap of phase `phase` reads low-res row i + offset."""
    t = np.zeros((2, 3, 3), np.float32)
    for phase in (0, 1):
        for tap in (-1, 0, 1):
            t[phase, (phase + tap) // 2 + 1, tap + 1] = 1
    return t


def upsample_conv_phases(w: np.ndarray) -> np.ndarray:
    """Upsample(2x) -> Conv3x3(w) as Conv3x3 at low resolution with 4 phases: (Co,Ci,3,3) -> (4*Co,Ci,3,3)."""
    t = _upsample_taps()
    phases = [np.einsum("rh,oihw,sw->oirs", t[a], w, t[b]) for a in (0, 1) for b in (0, 1)]
    return np.concatenate(phases).astype(np.float32)


def _shifted_taps() -> np.ndarray:
    """1-D map for Upsample(2x) -> Conv3x3 applied to a tensor held as 2 phases (the output of
    upsample_conv_phases), producing 4 output phases on a grid shifted by one pixel:
    S[out_phase, tap, in_phase, k + 1] = 1 where output row 4*i + 1 + out_phase reads, through
    kernel tap k, the input phase `in_phase` of low-res row i + tap (tap in {0, 1})."""
    s = np.zeros((4, 2, 2, 3), np.float32)
    for out_phase in range(4):
        for k in (-1, 0, 1):
            e = (1 + out_phase + k) // 2  # row within the 2-phase input, relative to 2*i
            s[out_phase, e // 2, e % 2, k + 1] += 1
    return s


def shifted_upsample_conv_phases(w: np.ndarray) -> np.ndarray:
    """Upsample(2x) -> Conv3x3(w) on a tensor given as 4 phases (channels (row phase, col phase, c)),
    as a Conv2x2 (pads 1) with 16 output phases for DepthToSpace(4); the result is shifted by 3
    pixels, so crop rows and columns [3, -1). Weights (Co,Ci,3,3) -> (16*Co, 4*Ci, 2, 2).

    Shifting the output grid by one pixel is what makes every output phase read the same
    2x2 low-res window, so the kernel is 2x2 instead of 3x3 (less than half the work)."""
    s = _shifted_taps()
    co, ci = w.shape[:2]
    k = np.einsum("Atsd,Bupe,ocde->ABospctu", s, s, w)  # A,B out phases; s,p in phases; t,u taps
    return k.reshape(16 * co, 4 * ci, 2, 2).astype(np.float32)


def column_phase_conv(w: np.ndarray, columns: int = 4) -> np.ndarray:
    """Conv3x3(w, 'same', 1 input channel) before a 2x2 max pool, on the image seen as `columns`
    neighbouring columns per channel, (H, W, 1) -> (H, W/columns, columns): a Conv with kernel 4x3,
    stride (2, 1), pads 1, whose output channels are the phases (column pair h, row p, column q) x Co,
    columns/2 * 4 of them. The pool is then the max over (p, q) within each h.
    Weights (Co,1,3,3) -> (2 * columns * Co, columns, 4, 3). columns=4 is onnxruntime's fast int8
    form on x86, columns=2 (half the multiplications) on ARM (benchmarks/README.md)."""
    if columns not in (2, 4):
        raise ValueError(f"columns must be 2 or 4, not {columns}")
    co, pairs = w.shape[0], columns // 2
    k = np.zeros((pairs, 2, 2, co, columns, 4, 3), np.float32)  # h, p, q, o | column c, tap row, tap block
    for h in range(pairs):
        for p in (0, 1):
            for q in (0, 1):
                for ky in range(4):
                    dy = ky - 1 - p
                    for kx in range(3):
                        for c in range(columns):
                            dx = columns * (kx - 1) + c - (2 * h + q)
                            if -1 <= dy <= 1 and -1 <= dx <= 1:
                                k[h, p, q, :, c, ky, kx] = w[:, 0, dy + 1, dx + 1]
    return k.reshape(4 * pairs * co, columns, 4, 3)


def shifted_upsample_conv(w: np.ndarray) -> np.ndarray:
    """Upsample(2x) -> Conv3x3(w) as a Conv2x2 (pads 1) at low resolution with 4 phases, on a grid
    shifted by one pixel: DepthToSpace of its (h+1, w+1) output, cropped by one pixel on every side,
    is the upsampled conv. Output row 2i+1+p reads low-res rows i and i+1 through taps (p + k) // 2,
    so every phase needs a 2x2 window (4 taps) instead of the unshifted form's 3x3 (9, 5 of them zero).
    Weights (Co,Ci,3,3) -> (4*Co, Ci, 2, 2), channels (phase row, phase col, Co) as DepthToSpace (DCR)."""
    co, ci = w.shape[:2]
    k = np.zeros((2, 2, co, ci, 2, 2), np.float32)
    for p in (0, 1):
        for q in (0, 1):
            for ky in range(3):
                for kx in range(3):
                    k[p, q, :, :, (p + ky) // 2, (q + kx) // 2] += w[:, :, ky, kx]
    return k.reshape(4 * co, ci, 2, 2)
