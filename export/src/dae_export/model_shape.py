"""What a Keras model's own layers say about how it must be fed: sizes, pooling depth, reach.

The export metadata (dae_export.metadata.input_spec), the exactness check of the traced clone
(onnx_fp32.exact_forward), the TFLite input signature and the export's digits all read these,
so an architecture with another depth or input size exports correct metadata without edits.
"""

from __future__ import annotations

from dae_export.errors import ExportError

MNIST_DIGIT_SIZE = 28  # the digits a size-agnostic model (input (None, None, 1)) is trained on


def pooling_depth(model) -> int:
    """How many times an input is halved (2x2 poolings and stride-2 convs): a frame's sides must be
    multiples of 2 ** depth."""
    import keras

    depth = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.MaxPooling2D):
            if tuple(layer.pool_size) != (2, 2) or tuple(layer.strides) != (2, 2):
                raise ExportError(f"layer {layer.name}: only 2x2 pooling with stride 2 is supported")
            depth += 1
        elif isinstance(layer, keras.layers.Conv2D) and tuple(layer.strides) != (1, 1):
            # a strided conv halves the map as a pooling does
            if tuple(layer.strides) != (2, 2):
                raise ExportError(f"layer {layer.name}: only convolutions with stride 1 or 2 are supported")
            depth += 1
    return depth


def size_multiple(model) -> int:
    return 2 ** pooling_depth(model)


def digit_size(model) -> int:
    """The side of one digit as the model takes it: its declared input size, else MNIST's 28."""

    height, width = tuple(model.inputs[0].shape)[1:3]
    if height is None and width is None:
        return MNIST_DIGIT_SIZE
    if height != width:
        raise ExportError(f"the model takes {height}x{width} inputs; only square or size-free inputs are supported")
    return int(height)


def input_side(model) -> int:
    """The digit size rounded up to the size multiple: the square the model computes exactly on.

    A model with 3 poolings cannot return a 28x28 digit at 28x28 (28 is not a multiple of 8); the
    runtime pads such digits to 32 (dae_runtime.denoiser), and the export checks them at 32 too.
    """
    multiple = size_multiple(model)
    return -(-digit_size(model) // multiple) * multiple


def receptive_radius(model) -> int:
    """An upper bound of how many input pixels either side of an output pixel can reach it.

    The runtime denoises big images in overlapping tiles and needs at least this overlap for tiles
    to equal one pass. Walking the layers in order and adding every conv's and pooling's reach at
    the current stride is exact for a chain and an upper bound for models with skips (a branch's
    layers are counted as if in series). The seed gives 16 (its exact radius is 11).
    """
    import keras

    radius, stride = 0, 1
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            k = max(layer.kernel_size)
            # a stride-s "same" conv pads up to s - 1 more pixels after than before: reach that far too
            radius += ((k // 2) * max(layer.dilation_rate) + max(layer.strides) - 1) * stride
            stride *= max(layer.strides)
        elif isinstance(layer, keras.layers.MaxPooling2D):
            radius += (max(layer.pool_size) - 1) * stride
            stride *= max(layer.strides)
        elif isinstance(layer, keras.layers.UpSampling2D):
            stride = max(1, stride // max(layer.size))
            radius += stride  # nearest: an output pixel reads the low-res pixel up to one step away
    return int(radius)
