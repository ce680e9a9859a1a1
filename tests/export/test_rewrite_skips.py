"""The skip architectures' fast rewrite (dae_export.rewrites.skips): exact, and applied."""

from collections import Counter

import numpy as np
import pytest
from rewrite_models import random_model as _model
from rewrite_models import run_proto as _run


@pytest.fixture(scope="module")
def seed_skip():
    return _model("seed-skip")


def test_last_skip_phase_is_exact_and_drops_the_full_resolution_resize(seed_skip):
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.rewrites.skips import last_skip_phase

    plain = convert_fp32(seed_skip)
    fast = last_skip_phase(plain)
    before = Counter(n.op_type for n in plain.graph.node)
    after = Counter(n.op_type for n in fast.graph.node)
    assert before["Resize"] == 2 and after["Resize"] == 1  # the 28x28 one is gone
    assert after["DepthToSpace"] == 1 and after["Conv"] == before["Conv"] + 1 and after["Add"] == before["Add"]
    rng = np.random.default_rng(7)
    for x in (rng.random((4, 28, 28, 1), dtype=np.float32), rng.random((2, 56, 84, 1), dtype=np.float32)):
        keras_out = np.asarray(seed_skip(x))
        assert np.abs(_run(fast, x) - keras_out).max() <= 1e-4
        assert np.abs(_run(fast, x) - _run(plain, x)).max() <= 1e-5


def test_the_export_uses_it_for_seed_skip_and_the_seed_keeps_its_own(seed_skip):
    from dae_export.keras_to_onnx import convert_fp32
    from dae_export.steps.onnx_fp32 import fast_or_plain

    notes = []
    proto, form = fast_or_plain(convert_fp32(seed_skip), "fast", notes.append)
    assert form == "fast-skip" and not notes
    assert Counter(n.op_type for n in proto.graph.node)["DepthToSpace"] == 1
    assert fast_or_plain(convert_fp32(_model("seed")), "fast", notes.append)[1] == "fast"
    _, form = fast_or_plain(convert_fp32(_model("unet")), "fast", notes.append)
    assert form == "plain" and len(notes) == 1  # no fast form fits the U-Net's Concat skips
