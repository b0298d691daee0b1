"""Gradients of the plain convolution, and the bias gradient (KERNELS.md §5, DESIGN.md §6).

For ``y = conv(x, K)`` (any strides, dilation, groups, padding) and a loss gradient ``dy``:

* ``dx`` is a transposed convolution of ``dy`` with the same kernel array: the conv layout
  ``kernel_size + (C // groups, F)`` is the grouped transposed layout ``kernel_size +
  (out_channels // groups, in_channels)`` of a transposed conv from ``F`` to ``C`` channels.
  It reads the scatter buffer from ``pad_before`` on and has the input's length, which
  Keras's ``padding``/``output_padding`` cannot always express (``causal``; ``same`` with an
  even effective kernel and ``n % s == 0`` would need ``output_padding == s``), so the ops
  below call the phase decomposition with that crop and length directly. Input positions no
  output reads (strides that skip the last rows) get 0.
* ``dK[t, ci, g*Fg + f] = sum_{n,o} x[n, o*s - pad + t*d, g*Cg + ci] * dy[n, o, g*Fg + f]``:
  the compiled correlation kernel ``_conv_grad`` (deterministic for any thread count).
* ``db`` is ``dy`` summed over batch and spatial axes.

The transposed convolution's gradients, where the roles swap, are in
:mod:`convkit.ops.conv_transpose_grad`; the weight-gradient kernel's driver both use (tile
choice, ``dy`` packing, the folded and swapped routes) is :mod:`convkit.ops._conv_weight_grad`,
and the argument checks both use are in :mod:`convkit.ops._grad_arguments`. Their names are
still importable from here, where callers and tests have always found them; a test that
patches one must patch the module that defines it, where it is looked up.
"""

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, _winograd, shapes
from ._conv_transpose_phases import PackedConvTransposeKernel, as_conv_layout
from ._conv_weight_grad import (  # noqa: F401  (re-exported, see the module docstring)
    FOLD_MANY_TAPS,
    FOLD_MAX_CHANNELS,
    FOLD_MAX_CHANNELS_MANY_TAPS,
    _choose_tile,
    _grad,
    _pack_output_gradient,
    _swapped_kernel_gradient,
    _window_padded,
    kernel_gradient_5d,
)
from ._geometry import ConvGeometry, _pad3, conv_geometry
from ._grad_arguments import (  # noqa: F401  (re-exported, see the module docstring)
    _check_spatial,
    _float_pair,
    _kernel_gradient_operands,
    _shape_of,
)
from .arguments import standardize_data_format
from .conv import winograd_5d, winograd_wanted
from .conv_transpose import conv_transpose_5d
from .conv_transpose_grad import (  # noqa: F401  (re-exported, see the module docstring)
    _transpose_geometry,
    conv_transpose_input_gradient,
    conv_transpose_kernel_gradient,
)

__all__ = ["bias_gradient", "conv_input_gradient", "conv_kernel_gradient",
           "conv_transpose_input_gradient", "conv_transpose_kernel_gradient"]

_input_grad = _kernels.load("_conv_input_grad")
_bias_grad = _kernels.load("_bias_grad")

# At most this many input channels (one group), the input gradient gathers per input pixel
# (``_conv_input_grad``, vectorised over the filters) instead of running the transposed conv,
# whose register tiles vectorise over the few input channels and run mostly empty.
GATHER_MAX_CHANNELS = 8


# ----------------------------------------------------------------------------- conv
def conv_input_gradient(output_gradient, kernel, input_shape, strides=1, padding="valid",
                        data_format=None, dilation_rate=1, *, algorithm=None) -> np.ndarray:
    """Gradient of ``conv(x, kernel, ...)`` with respect to ``x`` (of shape ``input_shape``).

    A transposed conv of ``output_gradient`` with ``kernel`` (``groups`` as in
    :func:`convkit.ops.conv`: ``C // kernel.shape[-2]``), cropped at the forward padding and
    cut to the input's length; inputs no output reads get 0.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``conv``'s output.
    kernel : array_like or PackedConvTransposeKernel
        The conv's kernel ``kernel_size + (C // groups, F)`` (a
        :func:`~convkit.ops.pack_conv_transpose_kernel` of it, made with the same strides and
        dilation, is accepted: layers cache it).
    input_shape : tuple of int
        The forward input's shape, in ``data_format``.
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.conv`.
    algorithm : {None, "auto", "direct", "winograd"}
        As :func:`convkit.ops.conv`'s. For a 2-D 3x3 (or 3-D 3x3x3) stride-1 conv the
        gradient is a stride-1 3x3 (3x3x3) correlation of ``output_gradient`` with the
        kernel flipped (padding 1 for "same", 2 for "valid"), which the Winograd kernel runs.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the forward input: shape ``input_shape``, in the compute
        dtype (float64 if an operand is float64, else float32).

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.conv_input_gradient(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (1, 4, 1),
    ...                         strides=2)[0, :, 0]
    array([1., 1., 1., 1.])
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    packed, k, dtype = PackedConvTransposeKernel.from_argument(kernel, dy)
    rank = k.ndim - 2
    shape = _shape_of(input_shape, rank, data_format, "conv_input_gradient")
    c = shapes.channels(shape, data_format)
    cg, f = k.shape[-2], k.shape[-1]
    if c % cg or f % (c // cg) or dy.ndim != rank + 2 or shapes.channels(dy, data_format) != f:
        raise ValueError(f"conv_input_gradient: a kernel of shape {tuple(k.shape)} does not fit "
                         f"inputs of shape {shape} and an output gradient of shape "
                         f"{tuple(dy.shape)}.")
    spatial = shapes.spatial_shape(shape, data_format)
    geometry = conv_geometry(spatial, k.shape[:-2], strides, padding, dilation_rate,
                             who="conv_input_gradient")
    _check_spatial(shapes.spatial_shape(dy, data_format), geometry.rank_out_spatial,
                   "conv_input_gradient")
    if packed is None:
        packed = PackedConvTransposeKernel(k, geometry.strides[3 - rank:],
                                           geometry.dilation[3 - rank:], dtype)
    elif (packed.strides, packed.dilation_rate) != (geometry.strides[3 - rank:],
                                                    geometry.dilation[3 - rank:]):
        raise ValueError("conv_input_gradient: the packed kernel was made for other strides "
                         "or dilation_rate")
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    groups = c // cg
    # asked first: algorithm="winograd" on a convolution it cannot run is an error whatever
    # path the shape would otherwise take ("auto" never picks it for the gather's few channels)
    use_winograd = packed.finite and min(spatial) > 0 and winograd_wanted(
        algorithm, geometry, padding, rank, spatial, f // groups, cg, images=dy5.shape[0],
        itemsize=dtype.itemsize)
    if use_winograd:
        dx = _winograd_input_gradient(dy5, packed, groups, geometry, spatial, rank,
                                      data_format)
        if dx is not None:
            return dx
    elif groups == 1 and c <= GATHER_MAX_CHANNELS and packed.finite and min(spatial) > 0:
        return _gather_input_gradient(dy5, packed.kernel, geometry, spatial, shape,
                                      data_format)
    return conv_transpose_5d(dy5, packed, groups, geometry.pad_before[3 - rank:], spatial,
                             None, 0, data_format)


def _gather_input_gradient(dy5, kernel, geometry, spatial, shape, data_format):
    """``dx`` of a one-group conv with few input channels by the gathering kernel. A
    non-finite kernel never comes here: the transposed conv puts its NaNs where Keras does."""
    n, f = dy5.shape[0], dy5.shape[-1]
    c = kernel.shape[-2]
    in3 = _pad3(spatial, 1)
    dx5 = np.empty((n, *in3, c), dtype=dy5.dtype)
    if dy5.size == 0:
        dx5[...] = 0
    else:
        k = np.ascontiguousarray(kernel, dtype=dy5.dtype)
        dims = np.array([n, *in3, c, *dy5.shape[1:4], f, *geometry.kernel_spatial,
                         *geometry.strides, *geometry.dilation, *geometry.pad_before],
                        dtype=np.intp)
        macs = dy5.size * int(np.prod(geometry.kernel_spatial)) * c
        fn = _input_grad.input_grad_d if dy5.dtype == np.float64 else _input_grad.input_grad_f
        fn(np.ascontiguousarray(dy5).reshape(-1), k.reshape(-1), dx5.reshape(-1), dims,
           threads_for(macs))
    return _arrays.from_kernel_layout(dx5, len(spatial), data_format)


def _winograd_input_gradient(dy5, packed: PackedConvTransposeKernel, groups: int, geometry,
                             spatial, rank: int, data_format):
    """``dx`` of a 2-D 3x3 or 3-D 3x3x3 stride-1 conv by the Winograd kernel: the
    correlation of ``dy`` with the kernel flipped in every spatial axis and its channel roles
    swapped (``as_conv_layout``), padded before by ``2 - pad``. ``None`` if the result holds
    an inf or NaN (the caller then runs the transposed conv, which puts them where Keras
    does)."""
    key = ("winograd_input_gradient", groups)
    if key not in packed._cache:  # transformed once per kernel value, like the phases
        flipped = as_conv_layout(packed.kernel[(slice(None, None, -1),) * rank], groups)
        packed._cache[key] = _winograd.transform_kernel(flipped, groups)
    pad = tuple(2 - p for p in geometry.pad_before)
    if rank == 2:
        pad = (0, *pad[1:])  # the 2-D op's unit depth axis has no padding
    grad_geometry = ConvGeometry(in_spatial=geometry.out_spatial,
                                 out_spatial=_pad3(spatial, 1),
                                 kernel_spatial=geometry.kernel_spatial, strides=(1, 1, 1),
                                 dilation=(1, 1, 1), pad_before=pad, _rank=rank)
    return winograd_5d(dy5, packed._cache[key], grad_geometry, None, 0, rank, data_format)


def conv_kernel_gradient(inputs, output_gradient, kernel_size, strides=1, padding="valid",
                         data_format=None, dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv(inputs, kernel, ...)`` with respect to ``kernel``.

    ``dK[t, ci, g*Fg + f] = sum over batch and output positions of x[n, o*s - pad + t*d,
    g*Cg + ci] * dy[n, o, g*Fg + f]``, computed by a parallel compiled kernel whose sums run in
    an order fixed by the shapes: the result is bit-identical for any thread count.

    Parameters
    ----------
    inputs, output_gradient : array_like
        The forward input and the gradient with respect to the forward output.
    kernel_size : int or tuple of int
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.conv`.
    groups : int
        As the conv's (``C // kernel.shape[-2]``).

    Returns
    -------
    numpy.ndarray
        ``kernel_size + (C // groups, F)``, the Keras conv kernel layout.

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.arange(4.0).reshape(1, 4, 1)
    >>> ops.conv_kernel_gradient(x, np.ones((1, 3, 1)), 2)[:, 0, 0]
    array([3., 6.])
    """
    data_format, x, dy, dtype, rank, groups, kernel_size = _kernel_gradient_operands(
        "conv_kernel_gradient", inputs, output_gradient, data_format, groups, kernel_size)
    c, f = shapes.channels(x, data_format), shapes.channels(dy, data_format)
    if c == 0 or f == 0 or c % groups or f % groups:
        raise ValueError("conv_kernel_gradient: input channels and filters must be positive "
                         f"multiples of groups. Received {c}, {f} and groups={groups}.")
    spatial = shapes.spatial_shape(x, data_format)
    geometry = conv_geometry(spatial, kernel_size, strides, padding, dilation_rate,
                             who="conv_kernel_gradient")
    _check_spatial(shapes.spatial_shape(dy, data_format), geometry.rank_out_spatial,
                   "conv_kernel_gradient")
    x5 = _arrays.to_kernel_layout(x, data_format)
    dy5 = _arrays.to_kernel_layout(dy, data_format)
    dk = kernel_gradient_5d(x5, dy5, geometry.kernel_spatial, geometry.strides,
                            geometry.dilation, geometry.pad_before, groups)
    return dk.reshape(kernel_size + dk.shape[-2:])


# ----------------------------------------------------------------------------- bias
def fused_activation_bias_gradient(outputs: np.ndarray, output_gradient: np.ndarray,
                                   relu: bool) -> tuple:
    """``(dz, db)`` of a layer whose relu or linear activation is fused into its op, for
    checked channels-last arrays of one float dtype and shape: ``dz`` is ``output_gradient``
    where ``outputs > 0`` and 0 elsewhere (relu) or ``output_gradient`` itself (linear), ``db``
    its sum over every axis but the last, as :func:`bias_gradient` (float64 sums, rounded
    once; bit-identical for any thread count). One compiled pass reads ``output_gradient``
    once for both."""
    dy = np.ascontiguousarray(output_gradient)
    f = dy.shape[-1]
    dy2 = dy.reshape(-1, f)
    db = np.empty(f, dtype=np.float64)
    dz = np.empty_like(dy) if relu else dy
    y2 = np.ascontiguousarray(outputs).reshape(-1, f) if relu else dy2
    fn = _bias_grad.activation_bias_grad_d if dy.dtype == np.float64 \
        else _bias_grad.activation_bias_grad_f
    fn(y2, dy2, dz.reshape(-1, f), db, relu, threads_for(dy.size))
    return dz, db.astype(dy.dtype)


def bias_gradient(output_gradient, data_format=None) -> np.ndarray:
    """``output_gradient`` summed over the batch and spatial axes: the gradient of a conv's
    (or transposed conv's) bias. float32 is summed in float64 (NumPy's fixed order, no
    threads) and rounded once, so it is deterministic and accurate.

    Parameters
    ----------
    output_gradient : array_like
        Floating point, rank 2 or more: the gradient with respect to a layer's output.
    data_format : {"channels_last", "channels_first"} or None
        Where the channels are; ``None`` uses :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        One value per channel, in ``output_gradient``'s dtype.

    Raises
    ------
    ValueError
        If ``output_gradient`` is not a floating-point array of rank 2 or more, or
        ``data_format`` is not one of the two names.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.bias_gradient(np.ones((2, 3, 4), np.float32))
    array([6., 6., 6., 6.], dtype=float32)
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    if dy.dtype.kind != "f" or dy.ndim < 2:
        raise ValueError("bias_gradient: `output_gradient` must be a floating-point array "
                         f"with batch and channel axes. Received {dy.dtype} {tuple(dy.shape)}.")
    axis = shapes.channel_axis(data_format) % dy.ndim
    axes = tuple(a for a in range(dy.ndim) if a != axis)
    return dy.sum(axis=axes, dtype=np.float64).astype(dy.dtype)
