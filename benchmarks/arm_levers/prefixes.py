"""Per-layer instruction counts by prefix models (issue 26's "whatever the per-layer counts show"): the graph
cut after each stage (a stage ends at a QuantizeLinear after Conv/MaxPool/Sigmoid in an int8 QDQ graph, at
Relu/MaxPool/Sigmoid outputs in a float graph), each cut saved as a model whose output is that tensor.
Count them with `run.py --call raw --onnx L0=... --onnx L1=...`: a layer's cost is its prefix minus the one
before (onnxruntime optimizes each prefix the same way as the whole graph, up to the cut).

    python benchmarks/arm_levers/prefixes.py MODEL.onnx OUT_DIR     -> OUT_DIR/p00.onnx ... and prefixes.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

STAGE_ENDS = {"Conv", "MaxPool", "Sigmoid", "Relu", "Concat", "Sum"}


def cut_points(proto) -> list[str]:
    producer = {o: n for n in proto.graph.node for o in n.output}
    cuts = []
    for n in proto.graph.node:
        src = producer.get(n.input[0]) if n.input else None
        if n.op_type == "QuantizeLinear" and src is not None and src.op_type in STAGE_ENDS:
            cuts.append(n.output[0])
        elif n.op_type in ("Relu", "MaxPool", "Sigmoid") and not any(
            c.op_type == "QuantizeLinear" for c in proto.graph.node if n.output[0] in c.input
        ):
            cuts.append(n.output[0])
    return cuts


def prefix(proto, tensor: str):
    import onnx
    from onnx import helper

    m = onnx.ModelProto()
    m.CopyFrom(proto)
    g = m.graph
    needed, keep = {tensor}, []
    for n in reversed(list(g.node)):
        if any(o in needed for o in n.output):
            keep.append(n)
            needed.update(i for i in n.input if i)
    del g.node[:]
    g.node.extend(reversed(keep))
    inferred = onnx.shape_inference.infer_shapes(proto)
    info = next((v for v in inferred.graph.value_info if v.name == tensor), None)
    elem = info.type.tensor_type.elem_type if info is not None else onnx.TensorProto.FLOAT
    del g.output[:]
    g.output.append(helper.make_tensor_value_info(tensor, elem, None))
    live = [t for t in g.initializer if t.name in needed]
    del g.initializer[:]
    g.initializer.extend(live)
    return m


def main(src: str, out: str) -> None:
    import onnx

    proto, folder = onnx.load(src), Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, tensor in enumerate(cut_points(proto)):
        onnx.save(prefix(proto, tensor), str(folder / f"p{i:02d}.onnx"))
        lines.append(f"p{i:02d}\t{tensor}")
    (folder / "prefixes.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:3])
