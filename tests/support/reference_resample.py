"""Pure-NumPy oracle for zero padding, cropping and upsampling, written for clarity, not speed.

Independent of convkit's kernels and of ``convkit.ops.resample``'s tap tables: resizing builds the
full dense (n_in, n_out) weight matrix of docs/design/keras_parity.md §3.7 and contracts one spatial
axis at a time (first spatial axis first).
"""

import math

import numpy as np


def spatial_axes(ndim, data_format):
    """Indices of the spatial axes of a batched array."""
    if data_format == "channels_first":
        return list(range(2, ndim))
    return list(range(1, ndim - 1))


def zero_pad(x, pairs, data_format="channels_last"):
    """``np.pad`` with zeros on the spatial axes; batch and channels untouched."""
    widths = [(0, 0)] * x.ndim
    for axis, pair in zip(spatial_axes(x.ndim, data_format), pairs, strict=True):
        widths[axis] = tuple(pair)
    return np.pad(x, widths, mode="constant", constant_values=0)


def crop(x, pairs, data_format="channels_last"):
    """Slice ``[before : size - after]`` on each spatial axis (explicit stop: no ``-0`` trap)."""
    index = [slice(None)] * x.ndim
    for axis, (before, after) in zip(spatial_axes(x.ndim, data_format), pairs, strict=True):
        index[axis] = slice(before, x.shape[axis] - after)
    return x[tuple(index)].copy()


def upsample_nearest(x, factors, data_format="channels_last"):
    """Repeat every element ``factor`` times along each spatial axis."""
    for axis, factor in zip(spatial_axes(x.ndim, data_format), factors, strict=True):
        x = np.repeat(x, factor, axis=axis)
    return x


def kernel(name, t):
    """Resize kernel value at signed distance ``t`` (a Python float)."""
    a = abs(t)
    if name == "bilinear":
        return max(0.0, 1.0 - a)
    if name == "bicubic":  # Keys cubic, a = -0.5
        if a < 1.0:
            return 1.5 * a ** 3 - 2.5 * a ** 2 + 1.0
        if a < 2.0:
            return -0.5 * a ** 3 + 2.5 * a ** 2 - 4.0 * a + 2.0
        return 0.0
    radius = {"lanczos3": 3, "lanczos5": 5}[name]
    if a > radius:
        return 0.0
    if a <= 1e-3:
        return 1.0
    return radius * math.sin(math.pi * a) * math.sin(math.pi * a / radius) / (math.pi * a) ** 2


def resize_matrix(n_in, factor, name):
    """Dense (n_in, n_in * factor) weights: column j interpolates output sample j."""
    if factor == 1:
        return np.eye(n_in)
    n_out = n_in * factor
    m = np.zeros((n_in, n_out))
    for j in range(n_out):
        u = (j + 0.5) / factor - 0.5  # half-pixel centres
        for i in range(n_in):
            m[i, j] = kernel(name, u - i)
        m[:, j] /= m[:, j].sum()  # renormalise over the in-range samples
    return m


def upsample_interp(x, factors, name, data_format="channels_last", dtype=np.float64):
    """Resize each spatial axis by its factor with kernel ``name``, in ``dtype``."""
    y = x.astype(dtype)
    for axis, factor in zip(spatial_axes(x.ndim, data_format), factors, strict=True):
        m = resize_matrix(y.shape[axis], factor, name).astype(dtype)
        y = np.moveaxis(np.tensordot(y, m, axes=([axis], [0])), -1, axis)
    return y


def upsample(x, factors, data_format="channels_last", interpolation="nearest"):
    """Dispatch on ``interpolation`` like ``convkit.ops.upsample``."""
    if interpolation == "nearest":
        return upsample_nearest(x, factors, data_format)
    return upsample_interp(x, factors, interpolation, data_format)


# ---------------------------------------------------------------------------------------------
# gradients: every op above is linear, so its gradient is the transpose of its matrix


def forward_matrix(forward, in_shape):
    """The dense matrix of the linear map ``forward`` on arrays of ``in_shape`` (float64),
    built column by column from the unit arrays."""
    size = math.prod(in_shape)
    columns = []
    for k in range(size):
        unit = np.zeros(size)
        unit[k] = 1.0
        columns.append(np.asarray(forward(unit.reshape(in_shape)), dtype=np.float64).ravel())
    return np.stack(columns, axis=1)


def adjoint(forward, in_shape, output_gradient):
    """``M.T @ dy`` for ``M = forward_matrix(forward, in_shape)``: the input gradient."""
    m = forward_matrix(forward, in_shape)
    return (m.T @ np.asarray(output_gradient, np.float64).ravel()).reshape(in_shape)


def zero_pad_gradient(in_shape, output_gradient, pairs, data_format="channels_last"):
    return adjoint(lambda x: zero_pad(x, pairs, data_format), in_shape, output_gradient)


def crop_gradient(in_shape, output_gradient, pairs, data_format="channels_last"):
    return adjoint(lambda x: crop(x, pairs, data_format), in_shape, output_gradient)


def upsample_gradient(in_shape, output_gradient, factors, data_format="channels_last",
                      interpolation="nearest"):
    return adjoint(lambda x: upsample(x, factors, data_format, interpolation), in_shape,
                   output_gradient)
