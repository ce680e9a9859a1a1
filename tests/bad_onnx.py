"""Small ONNX models that are wrong in one way each, built with onnx.helper (no TensorFlow)."""

from __future__ import annotations

from pathlib import Path


def identity_model(
    path: Path,
    channels: int = 1,
    elem_type: str = "FLOAT",
    metadata: dict[str, str] | None = None,
    nan_weight: bool = False,
) -> Path:
    """x -> x * w (one 1x1 weight per channel) on (N, H, W, channels) images of `elem_type`."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    elem = getattr(TensorProto, elem_type)
    shape = ["N", "H", "W", channels]
    nodes, inits = [], []
    if elem_type == "FLOAT":
        weight = np.full((channels,), np.nan if nan_weight else 1.0, np.float32)
        inits.append(numpy_helper.from_array(weight, "w"))
        nodes.append(helper.make_node("Mul", ["input", "w"], ["output"]))
    else:
        nodes.append(helper.make_node("Identity", ["input"], ["output"]))
    graph = helper.make_graph(
        nodes,
        "bad",
        [helper.make_tensor_value_info("input", elem, shape)],
        [helper.make_tensor_value_info("output", elem, shape)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
