"""The output conv in phase space (dae_export.rewrites.phase_space): where it applies, exact, its int8 layout."""

from collections import Counter

import numpy as np
import pytest
from rewrite_models import run_proto as _run


def _digits_and_frames():
    rng = np.random.default_rng(11)
    return rng.random((4, 28, 28, 1), dtype=np.float32), rng.random((2, 56, 84, 1), dtype=np.float32)


def _ops(proto) -> Counter:
    return Counter(n.op_type for n in proto.graph.node)


def test_the_output_conv_goes_to_phase_space_only_where_its_input_sides_stay_even(lowres, lowres_plain):
    from dae_export.rewrites.phases import phase_upsamples

    fast = phase_upsamples(lowres_plain, size_multiple=4)  # the 14x14 map: input / 2, always even
    assert _ops(fast)["SpaceToDepth"] == 1
    s2d = next(n for n in fast.graph.node if n.op_type == "SpaceToDepth")
    out_conv = next(n for n in fast.graph.node if n.input[0] == s2d.output[0])
    assert [w.dims[:2] for w in fast.graph.initializer if w.name == out_conv.input[1]] == [[16, 4 * 32]]
    for x in _digits_and_frames():
        assert np.abs(_run(fast, x) - np.asarray(lowres(x))).max() <= 1e-4
        assert np.abs(_run(fast, x) - _run(lowres_plain, x)).max() <= 1e-5
    for multiple in (None, 2):  # unknown, or frames of side 2 mod 4: a 14x14-level side may be odd
        assert _ops(phase_upsamples(lowres_plain, size_multiple=multiple))["SpaceToDepth"] == 0


def test_the_export_passes_the_size_multiple(lowres_plain):
    from dae_export.steps.onnx_fp32 import fast_or_plain

    proto, form = fast_or_plain(lowres_plain, "fast", print, size_multiple=4)
    assert form == "fast-phase" and _ops(proto)["SpaceToDepth"] == 1


def test_space_to_depth_as_layout_nodes_only_moves_values(lowres_plain):
    from dae_export.errors import RewriteNotApplicable
    from dae_export.rewrites.phase_space import space_to_depth_as_layout
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    fast = transpose_edges(phase_upsamples(lowres_plain, size_multiple=4))
    layout = space_to_depth_as_layout(fast)
    assert _ops(layout)["SpaceToDepth"] == 0
    for x in _digits_and_frames():
        assert np.array_equal(_run(layout, x), _run(fast, x))
    with pytest.raises(RewriteNotApplicable, match="no SpaceToDepth"):
        space_to_depth_as_layout(lowres_plain)


def test_int8_quantizes_the_layout_form_with_the_column_head(lowres_plain, tmp_path):
    import onnx

    from dae_export.quantize import _int8_source
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    fp32 = tmp_path / "model.onnx"
    onnx.save(transpose_edges(phase_upsamples(lowres_plain, size_multiple=4)), str(fp32))
    source = onnx.load(str(_int8_source(fp32, tmp_path / "model.int8.onnx", fast=True, size_multiple=4)))
    ops, names = _ops(source), {n.name for n in source.graph.node}
    assert ops["SpaceToDepth"] == 0 and ops["DepthToSpace"] == 1  # the 16-phase output's stays
    assert "input_four_columns" in names
    for x in _digits_and_frames():
        assert np.abs(_run(source, x) - _run(onnx.load(str(fp32)), x)).max() <= 1e-5


def _decoder_model(mid_one_output: bool):
    """Pools then upsamples, each upsample followed by a conv; `mid_one_output`: a 1-output conv in the
    middle of the decoder, so a DepthToSpace(2) comes after its SpaceToDepth (3 pools: multiple 8)."""
    import keras
    from keras import layers

    conv = {"kernel_size": 3, "padding": "same", "activation": "relu"}
    keras.utils.set_random_seed(3)
    inputs = keras.Input((None, None, 1), name="input_1")
    x = inputs
    for _ in range(3 if mid_one_output else 2):
        x = layers.MaxPooling2D(2, padding="same")(layers.Conv2D(8, **conv)(x))
    widths = [8, 1, 8] if mid_one_output else [8]
    for width in widths:
        x = layers.Conv2D(width, **conv)(layers.UpSampling2D(2)(x))
    x = layers.UpSampling2D(2)(x)
    model = keras.Model(inputs, layers.Conv2D(1, kernel_size=3, padding="same", activation="sigmoid")(x))
    for layer in model.layers:  # nonzero biases: tf2onnx drops zero ones, and the rewrites need them
        if layer.weights:
            w, b = layer.get_weights()
            layer.set_weights([w, np.random.default_rng(6).normal(0, 0.1, b.shape).astype(np.float32)])
    return model


@pytest.mark.parametrize("mid_one_output, multiple", [(False, 4), (True, 8)])
def test_the_int8_layout_applies_after_a_phase_decoder_and_before_another(mid_one_output, multiple, tmp_path):
    """Review 2026-11-27: the SpaceToDepth input may be a cropped DepthToSpace (no Conv to read its
    channels from), and a DepthToSpace(2) may follow it; int8 must get every layout form either way."""
    import onnx

    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.quantize import _int8_source
    from dae_export.rewrites.phases import phase_upsamples
    from dae_export.rewrites.seed import transpose_edges

    model = _decoder_model(mid_one_output)
    fp32 = tmp_path / "model.onnx"
    onnx.save(transpose_edges(phase_upsamples(convert_fp32(model), size_multiple=multiple)), str(fp32))
    fast = onnx.load(str(fp32))
    s2ds = _ops(fast)["SpaceToDepth"]
    assert s2ds == (2 if mid_one_output else 1)
    source = onnx.load(str(_int8_source(fp32, tmp_path / "model.int8.onnx", fast=True, size_multiple=multiple)))
    assert _ops(source)["SpaceToDepth"] == 0
    assert _ops(source)["DepthToSpace"] == s2ds  # only the 16-phase outputs' stay; every 2x one is layout
    rng = np.random.default_rng(5)
    for x in (rng.random((2, 8 * multiple, 8 * multiple, 1), dtype=np.float32), rng.random((1, 40, 64, 1), np.float32)):
        assert np.abs(_run(source, x) - np.asarray(model(x))).max() <= 1e-4
