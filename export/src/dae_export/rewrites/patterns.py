"""What the rewrites look for and the node groups they write, in one place (the ground of rewrites/).

Node and initializer names are the callers': an export must stay byte-identical when a rewrite is
refactored, so every helper takes the names it writes.
"""

from __future__ import annotations

import numpy as np

from dae_export.errors import RewriteNotApplicable
from dae_export.rewrites.graph_edit import Graph
from dae_export.rewrites.kernels import upsample_conv_phases

SAME_PADS = [1, 1, 1, 1]


def attributes(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def is_conv3x3_same(g: Graph, conv) -> bool:
    """A 3x3 "same" conv with constant weights and bias, no groups, strides or dilation."""
    attrs = attributes(conv)
    pads_ok = attrs.get("auto_pad", b"") in (b"SAME_UPPER", b"SAME_LOWER") or attrs.get("pads") == SAME_PADS
    return (
        len(conv.input) == 3
        and conv.input[1] in g.weights
        and conv.input[2] in g.weights
        and g.array(conv.input[1]).shape[2:] == (3, 3)
        and attrs.get("group", 1) == 1
        and attrs.get("strides", [1, 1]) == [1, 1]
        and attrs.get("dilations", [1, 1]) == [1, 1]
        and pads_ok
    )


def is_nearest_2x(g: Graph, resize) -> bool:
    """Keras' UpSampling2D(2) as the exporter writes it: Resize(nearest, asymmetric, floor, x2)."""
    attrs = attributes(resize)
    scales = g.array(resize.input[2]).tolist() if len(resize.input) > 2 and resize.input[2] in g.weights else []
    return (
        attrs.get("mode") == b"nearest"
        and attrs.get("coordinate_transformation_mode") == b"asymmetric"
        and attrs.get("nearest_mode") == b"floor"
        and scales == [1.0, 1.0, 2.0, 2.0]
    )


def find_upsample_tail(g: Graph, ops: list[str], problem: str) -> list:
    """The first chain of `ops` starting at a Resize whose Resizes are nearest 2x and whose Convs are
    3x3 "same"; RewriteNotApplicable(problem) if there is none."""
    for start in (n for n in g.g.node if n.op_type == "Resize"):
        found = g.chain(start, ops)
        if found is None:
            continue
        convs_ok = all(is_conv3x3_same(g, n) for n in found if n.op_type == "Conv")
        if convs_ok and all(is_nearest_2x(g, n) for n in found if n.op_type == "Resize"):
            return found
        break  # the first chain of these ops decides, as the rewrites always did
    raise RewriteNotApplicable(problem)


def conv_node(inputs: list[str], output: str, name: str, kernel: int, **attrs):
    """A stride-1 Conv with pads of 1 on every side."""
    from onnx import helper

    return helper.make_node("Conv", inputs, [output], name=name, kernel_shape=[kernel, kernel], pads=SAME_PADS, **attrs)


def upsample_phase_conv(g: Graph, y: str, conv, output: str, name: str, weights: str):
    """Resize(2x, y) -> conv (3x3) as one 3x3 conv at y's resolution whose outputs are the 4 pixel
    phases (kernels.upsample_conv_phases); `weights` prefixes its two initializers."""
    w, b = g.array(conv.input[1]), g.array(conv.input[2])
    inputs = [y, g.add(f"{weights}_w", upsample_conv_phases(w)), g.add(f"{weights}_b", np.tile(b, 4))]
    return conv_node(inputs, output, name, 3)


def pixels_and_crop(g: Graph, phases: str, pixels: str, out: str, blocksize: int, crop: int, names: tuple[str, str],
                    const_prefix: str, **depth_to_space_attrs) -> list:  # fmt: skip
    """DepthToSpace(blocksize) of the phase channels, then the Slice that drops `crop` rows and columns
    before and one after (the shifted grid's border); names: the two nodes'."""
    from onnx import helper

    crop_consts = [
        g.add(f"{const_prefix}_start", np.array([crop, crop], np.int64)),
        g.add(f"{const_prefix}_end", np.array([-1, -1], np.int64)),
        g.add(f"{const_prefix}_axes", np.array([2, 3], np.int64)),
    ]
    return [
        helper.make_node(
            "DepthToSpace", [phases], [pixels], name=names[0], blocksize=blocksize, **depth_to_space_attrs
        ),
        helper.make_node("Slice", [pixels, *crop_consts], [out], name=names[1]),
    ]
