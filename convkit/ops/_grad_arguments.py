"""Argument checks shared by the gradient ops of the plain and the transposed convolution.

:mod:`convkit.ops.conv_grad` and :mod:`convkit.ops.conv_transpose_grad` take the same operands
(an input and an output gradient, or an output gradient and the forward input's shape) and
refuse them with the same messages. The checks live below both modules so that neither has to
import the other.
"""

import numpy as np

from . import _arrays
from .arguments import standardize_data_format, standardize_tuple
from .conv_transpose import check_groups


def _float_pair(a, b, names) -> tuple:
    """Two operands as arrays of their common compute dtype."""
    a = _arrays.as_array(a, names[0])
    b = _arrays.as_array(b, names[1])
    dtype = _arrays.compute_dtype(a, b)
    return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype), dtype


def _kernel_gradient_operands(who, inputs, output_gradient, data_format, groups,
                              kernel_size) -> tuple:
    """The checked arguments of a kernel-gradient op: ``(data_format, x, dy, dtype, rank,
    groups, kernel_size)``."""
    data_format = standardize_data_format(data_format)
    x, dy, dtype = _float_pair(inputs, output_gradient, ("inputs", "output_gradient"))
    rank = x.ndim - 2
    if rank not in (1, 2, 3) or dy.ndim != x.ndim:
        raise ValueError(f"{who}: `inputs` and `output_gradient` must both have rank 3, 4 or 5. "
                         f"Received {tuple(x.shape)} and {tuple(dy.shape)}.")
    kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
    return data_format, x, dy, dtype, rank, check_groups(groups), kernel_size


def _check_spatial(got, want, who) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"{who}: `output_gradient` must have the spatial shape of the op's "
                         f"output, {tuple(want)}. Received {tuple(got)}.")


def _shape_of(input_shape, rank, data_format, who) -> tuple:
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != rank + 2:
        raise ValueError(f"{who}: `input_shape` must have rank {rank + 2} for a rank-"
                         f"{rank + 2} kernel. Received {shape}.")
    return shape
