"""dae_export.peers.ncnn_int8: ncnn int8 without ncnn's C++ tools. The file format is checked here on a
hand-made model; that ncnn runs the result bit-identically to ncnn2int8's output for the same table was checked
by the benchmark (benchmarks/README.md, "ncnn and MNN"); the export's int8 gate checks every model it makes."""

import struct
from pathlib import Path

import numpy as np
import pytest

from dae_export.peers import ncnn_int8 as q

PARAM = """7767517
4 4
Input            in0     0 1 in0
Convolution      conv_a  1 1 in0 a 0=2 1=3 4=1 5=1 6=18 9=1
Pooling          pool    1 1 a b 0=0 1=2 2=2
Convolution      conv_b  1 1 b out0 0=1 1=1 5=1 6=2
"""


def _model(tmp_path: Path, tag: int = 0) -> tuple[Path, Path, dict]:
    rng = np.random.default_rng(0)
    arrays = {"conv_a": (rng.standard_normal(18), rng.standard_normal(2)), "conv_b": (rng.standard_normal(2), [0.5])}
    blob = b"".join(struct.pack("<I", tag) + np.asarray(w, "<f4").tobytes() + np.asarray(b, "<f4").tobytes()
                    for w, b in arrays.values())  # fmt: skip
    (tmp_path / "m.param").write_text(PARAM)
    (tmp_path / "m.bin").write_bytes(blob)
    return tmp_path / "m.param", tmp_path / "m.bin", arrays


def test_int8_model_is_the_fp32_one_with_scales_after_each_bias(tmp_path):
    param, weights, arrays = _model(tmp_path)
    convs = q.conv_weights(param, weights)
    assert np.array_equal(convs["conv_a"][0], np.asarray(arrays["conv_a"][0], np.float32))
    table = {"conv_a": (np.array([10.0, 20.0], np.float32), 30.0), "conv_b": (np.array([40.0], np.float32), 50.0)}
    out = q.write_int8(param, weights, table, tmp_path / "int8.param")
    lines = out.read_text().splitlines()
    assert lines[3].endswith("6=18 9=1 8=2") and lines[5].endswith("6=2 8=2") and "8=" not in lines[4]
    data, old = out.with_suffix(".bin").read_bytes(), weights.read_bytes()
    a_end = convs["conv_a"][3]
    assert data[:a_end] == old[:a_end]
    assert np.array_equal(np.frombuffer(data, "<f4", 3, a_end), [10.0, 20.0, 30.0])
    assert data[a_end + 12 : -8] == old[a_end:]  # conv_b's tag, weights and bias, unchanged
    assert np.array_equal(np.frombuffer(data[-8:], "<f4"), [40.0, 50.0])
    assert len(data) == len(old) + 4 * (3 + 2)


def test_weight_bits_follow_ncnn2table():
    assert q._winograd_3x3({"1": "3"})  # 3x3, stride and dilation 1 by default: 6-bit weights (Winograd F43)
    assert not q._winograd_3x3({"1": "3", "3": "2"})
    assert not q._winograd_3x3({"1": "3", "11": "1"})
    assert not q._winograd_3x3({"1": "1"})


def test_refuses_what_it_cannot_rewrite(tmp_path):
    param, weights, _ = _model(tmp_path, tag=0x01306B47)  # fp16 weights
    with pytest.raises(ValueError, match="not raw float32"):
        q.conv_weights(param, weights)
    param, weights, _ = _model(tmp_path)
    weights.write_bytes(weights.read_bytes() + b"\0" * 4)
    with pytest.raises(ValueError, match="bytes left"):
        q.conv_weights(param, weights)
    (tmp_path / "x.param").write_text(PARAM.replace("Pooling ", "InnerProduct "))
    with pytest.raises(ValueError, match="InnerProduct is not handled"):
        q.conv_weights(tmp_path / "x.param", weights)
