"""Gradients of the transposed convolution (KERNELS.md §5, DESIGN.md §6).

For ``y = conv_transpose(x, K)`` the roles of :mod:`convkit.ops.conv_grad` swap: it is the
adjoint of a conv from ``y``'s space to ``x``'s with the same kernel array and padding
``crop``, so ``dx`` is that conv of ``dy`` and ``dK`` the same correlation with ``dy`` as its
input and ``x`` as its output gradient.

These ops stand beside the plain conv's gradients as ``conv_transpose.py`` stands beside
``conv.py``; the weight-gradient kernel's driver they share is
:mod:`convkit.ops._conv_weight_grad`, their argument checks :mod:`convkit.ops._grad_arguments`.
"""

import numpy as np

from . import _arrays, shapes
from ._conv_weight_grad import kernel_gradient_5d
from ._geometry import ConvGeometry, _pad3
from ._grad_arguments import _check_spatial, _kernel_gradient_operands, _shape_of
from .arguments import (
    standardize_data_format,
    standardize_output_padding,
    standardize_padding,
    standardize_tuple,
)
from .conv import PackedConvKernel, conv_5d
from .conv_transpose import check_groups

__all__ = ["conv_transpose_input_gradient", "conv_transpose_kernel_gradient"]


def _transpose_geometry(spatial, kernel_size, strides, padding, output_padding,
                        dilation_rate) -> tuple:
    """``(strides, dilation, crops, output lengths)`` of a transposed conv, per axis."""
    rank = len(spatial)
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding)
    op = standardize_output_padding(output_padding, strides) or (None,) * rank
    crops = tuple(shapes.transpose_crop(k, s, d, padding, o)
                  for k, s, d, o in zip(kernel_size, strides, dilation, op, strict=True))
    lengths = tuple(max(0, shapes.transpose_output_length(n, k, s, d, padding, o))
                    for n, k, s, d, o in zip(spatial, kernel_size, strides, dilation, op,
                                             strict=True))
    return strides, dilation, crops, lengths


def conv_transpose_input_gradient(output_gradient, kernel, input_shape, strides,
                                  padding="valid", output_padding=None, data_format=None,
                                  dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv_transpose(x, kernel, ...)`` with respect to ``x``: a forward conv of
    ``output_gradient`` with the same kernel array read in the conv layout, padded before by
    the transposed conv's crop and cut to ``x``'s length.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``conv_transpose``'s output.
    kernel : array_like or PackedConvKernel
        ``kernel_size + (filters // groups, in_channels)``, the transposed layout (a
        :func:`~convkit.ops.pack_conv_kernel` of that array is accepted: layers cache it).
    input_shape : tuple of int
    strides, padding, output_padding, data_format, dilation_rate, groups
        As given to :func:`convkit.ops.conv_transpose`.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the forward input: shape ``input_shape``, in the compute
        dtype.

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
    >>> dy = np.arange(6.0).reshape(1, 6, 1)
    >>> ops.conv_transpose_input_gradient(dy, np.ones((3, 1, 1)), (1, 3, 1), 2,
    ...                                   padding="same")[0, :, 0]
    array([3., 9., 9.])
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    packed, k, dtype = PackedConvKernel.from_argument(kernel, dy)
    rank = k.ndim - 2
    groups = check_groups(groups)
    shape = _shape_of(input_shape, rank, data_format, "conv_transpose_input_gradient")
    spatial = shapes.spatial_shape(shape, data_format)
    c, f = shapes.channels(shape, data_format), k.shape[-2] * groups
    if c != k.shape[-1] or c % groups or dy.ndim != rank + 2 \
            or shapes.channels(dy, data_format) != f:
        raise ValueError(f"conv_transpose_input_gradient: a kernel of shape {tuple(k.shape)} "
                         f"with groups={groups} does not fit inputs of shape {shape} and an "
                         f"output gradient of shape {tuple(dy.shape)}.")
    strides, dilation, crops, lengths = _transpose_geometry(
        spatial, k.shape[:-2], strides, padding, output_padding, dilation_rate)
    _check_spatial(shapes.spatial_shape(dy, data_format), lengths,
                   "conv_transpose_input_gradient")
    if packed is None:
        packed = PackedConvKernel(k, dtype)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    geometry = ConvGeometry(in_spatial=_pad3(lengths, 1), out_spatial=_pad3(spatial, 1),
                            kernel_spatial=_pad3(k.shape[:-2], 1), strides=_pad3(strides, 1),
                            dilation=_pad3(dilation, 1), pad_before=_pad3(crops, 0),
                            _rank=rank)
    if min(spatial) == 0 or min(lengths) == 0:
        return np.zeros(shape, dtype=dtype)
    return conv_5d(dy5, packed, groups, geometry, None, 0, rank, data_format)


def conv_transpose_kernel_gradient(inputs, output_gradient, kernel_size, strides,
                                   padding="valid", output_padding=None, data_format=None,
                                   dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv_transpose(inputs, kernel, ...)`` with respect to ``kernel``, in the
    transposed layout ``kernel_size + (filters // groups, in_channels)``.

    The correlation of :func:`conv_kernel_gradient` with the roles swapped: ``output_gradient``
    is the correlation's input (padded before by the transposed conv's crop) and ``inputs``
    its output gradient. Bit-identical for any thread count.

    Parameters
    ----------
    inputs : array_like
        The forward input of ``conv_transpose``.
    output_gradient : array_like
        The gradient of the loss with respect to ``conv_transpose``'s output (its shape).
    kernel_size : int or tuple of int
        The kernel's spatial size.
    strides, padding, output_padding, data_format, dilation_rate, groups
        The forward call's arguments, as for :func:`conv_transpose`.

    Returns
    -------
    numpy.ndarray
        Shape ``kernel_size + (filters // groups, in_channels)``, in the compute dtype.

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
    >>> x = np.ones((1, 2, 1))
    >>> dy = np.arange(4.0).reshape(1, 4, 1)
    >>> ops.conv_transpose_kernel_gradient(x, dy, 2, 2)[:, 0, 0]
    array([2., 4.])
    """
    data_format, x, dy, dtype, rank, groups, kernel_size = _kernel_gradient_operands(
        "conv_transpose_kernel_gradient", inputs, output_gradient, data_format, groups,
        kernel_size)
    c, f = shapes.channels(x, data_format), shapes.channels(dy, data_format)
    if c == 0 or f == 0 or c % groups or f % groups:
        raise ValueError("conv_transpose_kernel_gradient: input channels and filters must be "
                         f"positive multiples of groups. Received {c}, {f} and "
                         f"groups={groups}.")
    spatial = shapes.spatial_shape(x, data_format)
    strides, dilation, crops, lengths = _transpose_geometry(
        spatial, kernel_size, strides, padding, output_padding, dilation_rate)
    _check_spatial(shapes.spatial_shape(dy, data_format), lengths,
                   "conv_transpose_kernel_gradient")
    x5 = _arrays.to_kernel_layout(x, data_format)
    dy5 = _arrays.to_kernel_layout(dy, data_format)
    dk = kernel_gradient_5d(dy5, x5, _pad3(kernel_size, 1), _pad3(strides, 1),
                            _pad3(dilation, 1), _pad3(crops, 0), groups)
    return dk.reshape(kernel_size + dk.shape[-2:])
