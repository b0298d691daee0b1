"""What the pooling forward ops (:mod:`convkit.ops.pooling`) and their gradients
(:mod:`convkit.ops.pooling_grad`) share: argument checks, output shapes, the window geometry the
``_pool`` kernels take, the move to and from the kernels' ``(N, D, H, W, C)`` layout, and the
:class:`MaxRouting` record the routed max pooling hands from its forward to its gradient.

It is a module of its own so that both can import it: the forward module re-exports the
gradients, so the gradients cannot import the forward module without a cycle.
"""

import math

import numpy as np

from . import _arrays, shapes
from .arguments import standardize_data_format, standardize_padding, standardize_tuple

# ---------------------------------------------------------------------------------------------
# arguments and geometry


def _spatial_rank(ndim: int, who: str, name: str = "inputs") -> int:
    rank = ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{who}: `{name}` must have 3, 4 or 5 dimensions (batch, 1-3 spatial, "
                         f"channels). Received an array with ndim={ndim}.")
    return rank


def pool_arguments(pool_size, strides, padding, data_format, rank: int) -> tuple:
    """``(pool_size, strides, padding, data_format)`` checked and normalised; ``strides=None``
    means ``pool_size``, as in Keras."""
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    return (pool_size, strides, standardize_padding(padding),
            standardize_data_format(data_format))


def pool_output_shape(input_shape, pool_size, strides, padding, data_format) -> tuple:
    """The output shape of a windowed pooling of ``input_shape`` (``None`` dims propagate).

    Raises Keras's ValueError when a ``"valid"`` output length would be zero or negative.

    Examples
    --------
    >>> pool_output_shape((8, 5, 6, 3), (2, 2), (2, 2), "same", "channels_last")
    (8, 3, 3, 3)
    """
    shape = tuple(input_shape)
    spatial = shapes.spatial_shape(shape, data_format)
    out = tuple(shapes.conv_output_length(n, k, s, 1, padding)
                for n, k, s in zip(spatial, pool_size, strides, strict=True))
    if any(o is not None and o <= 0 for o in out) and padding == "valid":
        raise ValueError("Computed output size would be zero or negative. Received: "
                         f"`inputs.shape={shape}`, `pool_size={tuple(pool_size)}`, "
                         f"`strides={tuple(strides)}`, `padding={padding}`.")
    if data_format == "channels_first":
        return (*shape[:2], *out)
    return (shape[0], *out, shape[-1])


def _pad_before(spatial: tuple, pool_size: tuple, strides: tuple, padding: str) -> tuple:
    return tuple(shapes.conv_padding(n, k, s, 1, padding)[0]
                 for n, k, s in zip(spatial, pool_size, strides, strict=True))


def _pad3(values: tuple, fill: int) -> tuple:
    return (fill,) * (3 - len(values)) + tuple(values)


class _Geometry:
    """Everything the window kernels take besides arrays, for one input shape."""

    def __init__(self, input_shape, pool_size, strides, padding, data_format):
        self.input_shape = tuple(input_shape)
        self.output_shape = pool_output_shape(self.input_shape, pool_size, strides, padding,
                                              data_format)
        spatial = shapes.spatial_shape(self.input_shape, data_format)
        self.data_format = data_format
        self.window = math.prod(pool_size)
        self.args = (*_pad3(pool_size, 1), *_pad3(strides, 1),
                     *_pad3(_pad_before(spatial, pool_size, strides, padding), 0))


def _kernel_shape(shape: tuple, data_format: str) -> tuple:
    """``(N, D, H, W, C)`` for a user shape (spatial dims padded with ones in front)."""
    n, c = shape[0], shapes.channels(shape, data_format)
    spatial = tuple(shapes.spatial_shape(shape, data_format))
    return (n, *(1,) * (3 - len(spatial)), *spatial, c)


def _from_kernel(a5: np.ndarray, shape: tuple, data_format: str) -> np.ndarray:
    return _arrays.from_kernel_layout(a5, len(shape) - 2, data_format)


# ---------------------------------------------------------------------------------------------
# the layers' routing of max pooling's gradient: written by pooling.max_pool_routing, read by
# pooling_grad.max_pool_routing_gradient

# Windows of up to this many taps are routed by a one-byte offset inside the window
# (``_pool.max_pool_taps``); larger ones by the int32 flat index of max_pool_with_argmax.
MAX_OFFSET_TAPS = 256


class MaxRouting:
    """Where each window's first maximum lies, for :func:`max_pool_routing_gradient`: the
    pooling arguments and either one ``uint8`` offset inside the window per output value
    (windows of at most ``MAX_OFFSET_TAPS`` taps) or ``int32`` flat indices, kept in the
    kernels' ``(N, D, H, W, C)`` layout (no transpose back and forth for channels_first).
    Opaque: only :func:`~convkit.ops.pooling.max_pool_routing` and
    :func:`~convkit.ops.pooling_grad.max_pool_routing_gradient` read it."""

    __slots__ = ("arguments", "input_shape", "offsets", "argmax")

    def __init__(self, arguments, input_shape, offsets=None, argmax=None):
        self.arguments = arguments
        self.input_shape = input_shape
        self.offsets = offsets
        self.argmax = argmax


# ---------------------------------------------------------------------------------------------
# global pooling


def check_keepdims(keepdims) -> bool:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"`keepdims` must be True or False. Received: keepdims={keepdims!r}")
    return bool(keepdims)


def global_output_shape(input_shape, data_format, keepdims) -> tuple:
    """``(batch, channels)``, or with ``keepdims`` the input shape with spatial dims 1."""
    shape = tuple(input_shape)
    rank = len(shape) - 2
    chans = shapes.channels(shape, data_format)
    if not keepdims:
        return (shape[0], chans)
    if data_format == "channels_first":
        return (shape[0], chans, *(1,) * rank)
    return (shape[0], *(1,) * rank, chans)
