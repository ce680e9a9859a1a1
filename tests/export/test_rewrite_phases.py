"""The upsampling-decoder rewrite (dae_export.rewrites.phases): exact, applied, and its int8 layout form."""

from collections import Counter

import numpy as np
import pytest
from rewrite_models import random_model as _model
from rewrite_models import run_proto as _run


def _digits_and_frames():
    rng = np.random.default_rng(7)
    return rng.random((4, 28, 28, 1), dtype=np.float32), rng.random((2, 56, 84, 1), dtype=np.float32)


def test_every_upsample_becomes_a_low_resolution_phase_conv(lowres, lowres_plain):
    from dae_export.rewrites.phases import phase_upsamples

    fast = phase_upsamples(lowres_plain)
    before = Counter(n.op_type for n in lowres_plain.graph.node)
    after = Counter(n.op_type for n in fast.graph.node)
    assert before["Resize"] == 2 and after["Resize"] == 0
    assert after["DepthToSpace"] == 2 and after["Conv"] == before["Conv"] and after["Add"] == before["Add"]
    for x in _digits_and_frames():
        assert np.abs(_run(fast, x) - np.asarray(lowres(x))).max() <= 1e-4
        assert np.abs(_run(fast, x) - _run(lowres_plain, x)).max() <= 1e-5


def test_an_upsample_through_an_additive_skip_splits_by_linearity():
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.rewrites.phases import phase_upsamples

    seed_skip = _model("seed-skip")  # both upsamples are Resize -> Add(skip) -> Conv
    plain = convert_fp32(seed_skip)
    fast = phase_upsamples(plain)
    after = Counter(n.op_type for n in fast.graph.node)
    assert after["Resize"] == 0 and after["DepthToSpace"] == 2 and after["Conv"] == 5 + 2  # + a conv per skip
    for x in _digits_and_frames():
        assert np.abs(_run(fast, x) - np.asarray(seed_skip(x))).max() <= 1e-4


def test_the_export_picks_the_phase_form_only_where_no_specific_form_applies(lowres_plain):
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.steps.onnx_fp32 import fast_or_plain

    notes: list[str] = []
    proto, form = fast_or_plain(lowres_plain, "fast", notes.append)
    assert form == "fast-phase" and not notes
    assert {n.op_type for n in proto.graph.node}.isdisjoint({"Resize", "Squeeze", "Unsqueeze"})
    _, form = fast_or_plain(convert_fp32(_model("unet")), "fast", notes.append)
    assert form == "plain" and "no Resize(2x) followed by a Conv3x3" in notes[-1]  # its Concat skips stay


def test_depth_to_space_as_layout_nodes_is_exact(lowres_plain):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.phases import depth_to_space_as_layout, phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    fast = transpose_edges(phase_upsamples(lowres_plain))
    layout = depth_to_space_as_layout(fast)
    # the 32-channel one becomes layout nodes; the 1-channel output one stays (single bytes: slower)
    assert Counter(n.op_type for n in layout.graph.node)["DepthToSpace"] == 1
    for x in _digits_and_frames():
        assert np.array_equal(_run(layout, x), _run(fast, x))  # it only moves values
    with pytest.raises(RewriteNotApplicable, match="no DepthToSpace"):
        depth_to_space_as_layout(lowres_plain)


def test_int8_gets_both_layout_rewrites(lowres_plain, tmp_path):
    """The int8 source has the DepthToSpace layout form and the seed's column-form head (in that order:
    the head rewrite needs the input's Transpose -> Conv first)."""
    import onnx

    from dae_export.quantize import _int8_source
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    fp32 = tmp_path / "model.onnx"
    onnx.save(transpose_edges(phase_upsamples(lowres_plain)), str(fp32))
    source = onnx.load(str(_int8_source(fp32, tmp_path / "model.int8.onnx", fast=True)))
    names = {n.name for n in source.graph.node}
    assert "input_four_columns" in names and "input_shape" in names
    for x in _digits_and_frames():
        assert np.abs(_run(source, x) - _run(onnx.load(str(fp32)), x)).max() <= 1e-5
