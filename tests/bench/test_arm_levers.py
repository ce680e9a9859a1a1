"""The ARM lever prototypes (benchmarks/arm_levers, issue 26) are exact rewrites of the shipped seed export:
same outputs to float rounding on 28x28 and on an odd-sized frame (their Slices and Reshapes are relative).
The forms that won are in the Pi bundle and tested with it (tests/export/test_rewrite_seed.py)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

LEVERS = Path(__file__).parents[2] / "benchmarks" / "arm_levers"
FAST = Path(__file__).parents[2] / "models" / "seed" / "export" / "model.onnx"
sys.path.insert(0, str(LEVERS))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"arm_levers_{name}", LEVERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(proto, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"input": x})[
        0
    ]


@pytest.fixture(scope="module")
def fast():
    import onnx

    return onnx.load(str(FAST))


FRAMES = [np.random.default_rng(0).random(shape, dtype=np.float32) for shape in ((3, 28, 28, 1), (2, 36, 44, 1))]


def _forms(fast):
    return {"decoder_a 2x2": _load("shifted_decoder").shifted_decoder_a(fast)}


def test_graph_levers_are_exact(fast):
    for name, form in _forms(fast).items():
        for x in FRAMES:
            assert np.abs(_run(form, x) - _run(fast, x)).max() < 1e-5, name


def test_the_shifted_decoders_do_fewer_multiplications(fast):
    from onnx import numpy_helper

    def conv_weights(proto) -> int:
        weights = {t.name: numpy_helper.to_array(t) for t in proto.graph.initializer}
        return sum(weights[n.input[1]].size for n in proto.graph.node if n.op_type == "Conv")

    assert conv_weights(_forms(fast)["decoder_a 2x2"]) < conv_weights(fast)


def test_fp16_form_keeps_float32_edges_and_float16_weights(fast):
    from onnx import TensorProto

    half = _load("fp16_form").to_fp16(type(fast).FromString(fast.SerializeToString()))
    assert {t.data_type for t in half.graph.initializer if t.data_type in (1, 10)} == {TensorProto.FLOAT16}
    assert half.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
    for x in FRAMES:
        assert np.abs(_run(half, x) - _run(fast, x)).max() < 5e-3  # float16 weights and activations


def test_unfold_refuses_weights_of_another_form(fast):
    from dae_export.rewrites.kernels import upsample_conv_phases

    shifted = _load("shifted_decoder")
    w = np.random.default_rng(1).standard_normal((4, 3, 3, 3)).astype(np.float32)
    assert np.allclose(shifted.unfold(upsample_conv_phases, upsample_conv_phases(w), 4), w, atol=1e-5)
    with pytest.raises(ValueError, match="not a upsample_conv_phases form"):
        shifted.unfold(upsample_conv_phases, np.random.default_rng(2).standard_normal((16, 3, 3, 3)), 4)
