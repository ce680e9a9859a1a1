"""A map's side as an exact function of the graph input's side: scale * input + offset.

Traced back through the ops of this project's graphs. Strided ops with "same" padding divide the
side exactly when it is a multiple of their stride, which holds for the sides the runtime feeds (it
pads frames to the model's size multiple, from the manifest). Anything else is refused, so a
rewrite that needs a size never guesses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.patterns import attributes, is_nearest_2x

# Add: its first input (the map). Squeeze/Unsqueeze: the plain graph's input edge moves the channel axis.
_SAME_SIDE = {"Transpose", "Relu", "Sigmoid", "Add", "Squeeze", "Unsqueeze"}


@dataclass(frozen=True)
class Side:
    scale: Fraction = Fraction(1)
    offset: int = 0

    def times(self, factor: int) -> Side:
        return Side(self.scale * factor, self.offset * factor)


def side_of(g: Graph, tensor: str, source: str) -> Side:
    """The side of `tensor` (both spatial axes alike) over `source`'s; raises RewriteNotApplicable if unknown."""

    producers, changes = g.producers(), []
    while tensor != source:
        node = producers.get(tensor)
        if node is None:
            raise RewriteNotApplicable(f"cannot trace the size of {tensor} to the input")
        if node.op_type in ("Conv", "MaxPool"):
            changes.append(_window_change(g, node))
        elif node.op_type == "DepthToSpace":
            changes.append(("times", attributes(node).get("blocksize", 1)))
        elif node.op_type == "SpaceToDepth":
            changes.append(("divide", attributes(node).get("blocksize", 1)))
        elif node.op_type == "Resize" and is_nearest_2x(g, node):
            changes.append(("times", 2))
        elif node.op_type == "Slice" and getattr(producers.get(node.input[0]), "op_type", "") == "DepthToSpace":
            changes.append(("plus", -_crop(g, node)))  # after a DepthToSpace (NCHW only), axes 2 and 3 are H and W
        elif node.op_type not in _SAME_SIDE:
            raise RewriteNotApplicable(f"cannot trace the size of {tensor} to the input ({node.op_type} {node.name})")
        tensor = node.input[0]
    side = Side()
    for kind, value in reversed(changes):
        if kind == "times":
            side = side.times(value)
        elif kind == "divide":
            if side.offset:
                raise RewriteNotApplicable("a strided op after a size offset")
            side = Side(side.scale / value, 0)
        else:
            side = Side(side.scale, side.offset + value)
    return side


def _window_change(g: Graph, node) -> tuple[str, int]:
    """A Conv's or MaxPool's effect: ("divide", stride) for "same" padding, else ("plus", added pixels)."""
    attrs = attributes(node)
    strides, dilations = attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1])
    if len(set(strides)) != 1 or dilations != [1, 1]:
        raise RewriteNotApplicable(f"{node.name}: unequal strides or a dilation")
    if attrs.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", b"SAME_LOWER"):
        return ("divide", strides[0]) if strides[0] != 1 else ("plus", 0)
    kernel = attrs.get("kernel_shape") or list(g.array(node.input[1]).shape[2:])
    pads = attrs.get("pads", [0, 0, 0, 0])
    added = {pads[axis] + pads[axis + 2] - (kernel[axis] - strides[0]) for axis in (0, 1)}
    if len(added) != 1 or strides[0] != 1 and added != {0}:
        raise RewriteNotApplicable(f"{node.name}: a padding the size trace does not know")
    # stride 1: side + added; stride s with pads = kernel - s (as a 2x2 pool of stride 2): side / s
    return ("divide", strides[0]) if strides[0] != 1 else ("plus", added.pop())


def _crop(g: Graph, node) -> int:
    """Pixels a Slice takes off each spatial axis: only a constant crop of H and W alike (its two ends may differ)."""
    if not all(i in g.weights for i in node.input[1:]):
        raise RewriteNotApplicable(f"{node.name}: a Slice whose bounds are not constants")
    starts, ends, axes, steps = ([g.array(i).tolist() for i in node.input[1:]] + [None, None])[:4]
    if (
        axes is None
        or sorted(a % 4 for a in axes) != [2, 3]
        or steps not in (None, [1, 1])
        or len(set(starts)) != 1
        or len(set(ends)) != 1
        or starts[0] < 0
        or ends[0] > -1
    ):
        raise RewriteNotApplicable(f"{node.name}: a Slice that is not the same crop of both axes")
    return starts[0] - ends[0]
