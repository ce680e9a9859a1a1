"""A float16 form of an fp32 ONNX model for onnxruntime on ARMv8.2 CPUs (the Pi 5's Cortex-A76): every float
weight in float16, a Cast to float16 after the input and back to float32 before the output, so callers (the
runtime's Denoiser) still pass and get float32. A lever prototype (issue 26), not an export step.

    python benchmarks/arm_levers/fp16_form.py FP32.onnx FP16.onnx

onnxruntime's CPU provider runs fp16 Conv (MLAS half GEMM, in its NHWC domain) and Relu where the CPU has FP16
vector arithmetic; for the other ops it inserts Casts to float32 and back (InsertCastTransformer).
"""

from __future__ import annotations

import sys

import numpy as np

KEEP_FLOAT = {("Resize", 1), ("Resize", 2)}  # roi and scales stay float32 by the ONNX spec


def to_fp16(proto):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    g = proto.graph
    keep = {n.input[i] for n in g.node for op, i in KEEP_FLOAT if n.op_type == op and len(n.input) > i}
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT and t.name not in keep:
            g.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))
    for n in g.node:
        for a in n.attribute:
            if a.name == "value" and a.t.data_type == TensorProto.FLOAT:  # Constant nodes
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
    inp, out = g.input[0].name, g.output[0].name
    for n in g.node:
        n.input[:] = [f"{inp}_fp16" if i == inp else i for i in n.input]
        n.output[:] = [f"{out}_fp16" if o == out else o for o in n.output]
    cast_in = helper.make_node("Cast", [inp], [f"{inp}_fp16"], name="input_to_fp16", to=TensorProto.FLOAT16)
    cast_out = helper.make_node("Cast", [f"{out}_fp16"], [out], name="output_to_fp32", to=TensorProto.FLOAT)
    nodes = [cast_in, *g.node, cast_out]
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]
    onnx.checker.check_model(proto)
    return proto


def main(src: str, dst: str) -> None:
    import onnx

    onnx.save(to_fp16(onnx.load(src)), dst)


if __name__ == "__main__":
    main(*sys.argv[1:3])
