"""ncnn int8 without ncnn's C++ tools (ncnn2table and ncnn2int8 are on neither PyPI nor Debian 12): ncnn's
Convolution quantizes its fp32 weights itself at load time when its param says `8=2` and its weights are followed
by the per-channel weight scales and the input scale (src/layer/convolution.cpp, load_model: "runtime quantize the
weight data"), with the same quantize_to_int8 that ncnn2int8 runs ahead of time. So an int8 model is the fp32
.param with `8=2` on each Convolution and the fp32 .bin with the scales appended after each Convolution's bias;
the scales come from an ncnn2table-format table, or are computed here from calibration digits (method minmax:
127 / max|x| of each convolution's input over the digits, like the export's onnxruntime calibration; weights per
output channel as ncnn2table does: 31 / max|w| (6 bits) for 3x3 stride-1 convolutions, whose int8 Winograd F(4,3)
needs the headroom, 127 / max|w| otherwise). Checked against ncnn2int8 (bit-identical outputs for one table):
benchmarks/README.md, "ncnn and MNN".

    table = minmax_table(param, bin, digits)         # {layer: (weight_scales, input_scale)}
    write_int8(param, bin, table, out_param)         # writes out_param and its .bin
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

WEIGHTLESS = {"Input", "Pooling", "Interp", "ReLU", "Sigmoid", "Split", "Concat", "Reshape", "Permute", "Crop"}


def parse_param(path: Path) -> list[dict]:
    lines = path.read_text().split("\n")
    if lines[0].strip() != "7767517":
        raise ValueError(f"{path}: not an ncnn param file")
    layers = []
    for line in lines[2:]:
        if not line.strip():
            continue
        parts = line.split()
        kind, name, n_in, n_out = parts[0], parts[1], int(parts[2]), int(parts[3])
        blobs = parts[4 : 4 + n_in + n_out]
        params = dict(p.split("=", 1) for p in parts[4 + n_in + n_out :])
        layers.append({"type": kind, "name": name, "inputs": blobs[:n_in], "outputs": blobs[n_in:], "params": params,
                       "line": line})  # fmt: skip
    return layers


def _conv_sizes(layer: dict) -> tuple[int, int]:
    p = layer["params"]
    if p.get("19", "0") != "0" or p.get("8", "0") != "0":
        raise ValueError(f"{layer['name']}: dynamic or already int8 convolution")
    return int(p["6"]), int(p["0"]) if p.get("5", "0") == "1" else 0


def conv_weights(param: Path, weights: Path) -> dict[str, tuple[np.ndarray, np.ndarray | None, int, int]]:
    """{conv layer: (weights, bias, start offset, end offset)} from an fp32 .bin (tag 0 = raw float32)."""
    data, at, out = weights.read_bytes(), 0, {}
    for layer in parse_param(param):
        if layer["type"] in WEIGHTLESS:
            continue
        if layer["type"] != "Convolution":
            raise ValueError(f"{layer['name']}: layer type {layer['type']} is not handled")
        n_weights, n_bias = _conv_sizes(layer)
        start = at
        (tag,) = struct.unpack_from("<I", data, at)
        if tag != 0:
            raise ValueError(f"{layer['name']}: weights are not raw float32 (tag {tag:#x})")
        w = np.frombuffer(data, "<f4", n_weights, at + 4)
        at += 4 + 4 * n_weights
        b = np.frombuffer(data, "<f4", n_bias, at) if n_bias else None
        at += 4 * n_bias
        out[layer["name"]] = (w, b, start, at)
    if at != len(data):
        raise ValueError(f"{weights}: {len(data) - at} bytes left after the last layer")
    return out


def read_table(path: Path) -> dict[str, tuple[np.ndarray, float]]:
    """An ncnn2table file: '<layer>_param_0 s...' (weights) and '<layer> s' (its input)."""
    rows = {line.split()[0]: np.array(line.split()[1:], np.float32) for line in path.read_text().splitlines() if line}
    return {k.removesuffix("_param_0"): (v, float(rows[k.removesuffix("_param_0")][0]))
            for k, v in rows.items() if k.endswith("_param_0")}  # fmt: skip


def minmax_table(param: Path, weights: Path, digits: np.ndarray) -> dict[str, tuple[np.ndarray, float]]:
    import ncnn

    layers = {la["name"]: la for la in parse_param(param)}
    convs = conv_weights(param, weights)
    net = ncnn.Net()
    net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = False
    net.opt.num_threads = 1
    net.load_param(str(param))
    net.load_model(str(weights))
    peak = dict.fromkeys(convs, 0.0)
    for digit in digits:
        with net.create_extractor() as ex:
            ex.input(net.input_names()[0], ncnn.Mat(np.ascontiguousarray(digit[..., 0], np.float32)))
            for name in convs:
                _, blob = ex.extract(layers[name]["inputs"][0])
                peak[name] = max(peak[name], float(np.abs(np.asarray(blob)).max()))
    table = {}
    for name, (w, _, _, _) in convs.items():
        per_channel = np.abs(w.reshape(int(layers[name]["params"]["0"]), -1)).max(axis=1)
        bound = 31.0 if _winograd_3x3(layers[name]["params"]) else 127.0
        scales = np.where(per_channel > 0, bound / np.maximum(per_channel, 1e-30), 1.0).astype(np.float32)
        table[name] = (scales, 127 / peak[name] if peak[name] > 0 else 1.0)
    return table


def _winograd_3x3(p: dict) -> bool:
    """ncnn2table's condition for 6-bit weights: kernel 3x3, dilation 1, stride 1 (ncnn param ids 1/11, 2/12, 3/13)."""

    def pair(key: str, key_h: str, default: str) -> tuple[str, str]:
        return p.get(key, default), p.get(key_h, p.get(key, default))

    return (
        pair("1", "11", "0") == ("3", "3") and pair("2", "12", "1") == ("1", "1") and pair("3", "13", "1") == ("1", "1")
    )


def write_int8(param: Path, weights: Path, table: dict, out_param: Path) -> Path:
    layers, convs, data = parse_param(param), conv_weights(param, weights), weights.read_bytes()
    lines, parts, at = param.read_text().split("\n")[:2], [], 0
    for layer in layers:
        line = layer["line"]
        if layer["name"] in convs and layer["name"] in table:
            line += " 8=2"
            scales, input_scale = table[layer["name"]]
            _, _, start, end = convs[layer["name"]]
            parts += [
                data[at:end],
                np.asarray(scales, "<f4").tobytes(),
                np.float32(input_scale).astype("<f4").tobytes(),
            ]
            at = end
        lines.append(line)
    parts.append(data[at:])
    out_param.write_text("\n".join(lines) + "\n")
    out_param.with_suffix(".bin").write_bytes(b"".join(parts))
    return out_param
