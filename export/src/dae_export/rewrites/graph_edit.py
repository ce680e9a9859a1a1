"""Graph surgery on an ONNX ModelProto: lookups, node replacement and clean-up, in one place.

Used by the tf2onnx clean-up (keras_to_onnx), the exact speed rewrites (rewrites/) and the int8
tail rewrite (seed.dequantize_last). Every edit works on a copy unless told otherwise.
"""

from __future__ import annotations

import collections

import numpy as np


class Graph:
    """Producer/consumer lookups and node replacement on a ModelProto's graph."""

    def __init__(self, proto, copy: bool = True):
        import onnx

        if copy:  # rewrites return a new model; the caller's stays as it was
            self.proto = onnx.ModelProto()
            self.proto.CopyFrom(proto)
        else:
            self.proto = proto
        self.g = self.proto.graph
        self.weights = {i.name: i for i in self.g.initializer}

    def producers(self) -> dict:
        """{tensor name: the node that writes it}, for the graph as it is now."""
        return {o: n for n in self.g.node for o in n.output}

    def consumers(self) -> dict[str, list]:
        """{tensor name: the nodes that read it}, for the graph as it is now."""
        users = collections.defaultdict(list)
        for n in self.g.node:
            for i in n.input:
                users[i].append(n)
        return users

    def consumer(self, tensor: str):
        users = [n for n in self.g.node if tensor in n.input]
        return users[0] if len(users) == 1 else None

    def chain(self, start, ops: list[str]) -> list | None:
        """[start, next, ...] if start and its single consumers have exactly these op types."""
        nodes = [start]
        while len(nodes) < len(ops):
            nodes.append(self.consumer(nodes[-1].output[0]))
            if nodes[-1] is None:
                return None
        return nodes if [n.op_type for n in nodes] == ops else None

    def array(self, name: str) -> np.ndarray:
        from onnx import numpy_helper

        return numpy_helper.to_array(self.weights[name])

    def add(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        tensor = numpy_helper.from_array(value, name)
        self.g.initializer.append(tensor)
        self.weights[name] = self.g.initializer[-1]
        return name

    def set_nodes(self, nodes: list) -> None:
        del self.g.node[:]
        self.g.node.extend(nodes)

    def replace(self, old: list, new: list) -> None:
        """Put `new` where `old` (a run of this graph's nodes) was; node objects held before are stale after."""
        nodes = list(self.g.node)
        at = next(i for i, n in enumerate(nodes) if n is old[0])
        kept = [n for n in nodes if all(n is not o for o in old)]
        kept[at:at] = new
        self.set_nodes(kept)

    def prune(self) -> None:
        """Drop initializers no node reads, and the value_info that edits made stale."""
        used = {i for n in self.g.node for i in n.input}
        live = [i for i in self.g.initializer if i.name in used]
        del self.g.initializer[:]
        self.g.initializer.extend(live)
        self.weights = {i.name: i for i in self.g.initializer}
        del self.g.value_info[:]

    def finish(self):
        """The edited model, pruned, shape-inferred and checked."""
        import onnx

        self.prune()
        proto = onnx.shape_inference.infer_shapes(self.proto, strict_mode=True)
        onnx.checker.check_model(proto, full_check=True)
        return proto


def set_dims(value, dims: list[int | str]) -> None:
    """Give a graph input/output these dimensions (ints fixed, strings named and dynamic)."""
    shape = value.type.tensor_type.shape
    del shape.dim[:]
    for d in dims:
        dim = shape.dim.add()
        if isinstance(d, int):
            dim.dim_value = d
        else:
            dim.dim_param = d
