"""The gradients of zero padding, cropping and upsampling with respect to their inputs.

Each op's gradient is its adjoint: cropping and zero padding are each other's (one more
window copy, the offsets negated), nearest upsampling's sums each block of ``size`` pixels
back into one, and interpolation's applies the transposed tap tables
(:func:`convkit.ops.interpolation.transposed_tap_table`).

Kept apart from the forward ops (:mod:`convkit.ops.resample`, which re-exports every name here)
as ``conv_grad`` is kept apart from ``conv``: the backward pass has its own intake (a floating
output gradient whose shape must be one the forward could give) and, for upsampling, its own
kernels (``_resample_grad``).
"""

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, shapes
from ._resample_layout import _AXIS_NAMES, _out_shape, _pad3, _pairs_argument, _to_5d, _window
from .arguments import standardize_data_format, standardize_interpolation, standardize_tuple
from .interpolation import transposed_tap_table

_resample_grad = _kernels.load("_resample_grad")   # the adjoints

__all__ = ["zero_pad_gradient", "crop_gradient", "upsample_gradient"]


# ---------------------------------------------------------------------------------------------
# gradients: the adjoints of the ops above


def _gradient_argument(output_gradient, who: str) -> np.ndarray:
    """``output_gradient`` checked to be a floating array of 1-3 spatial axes."""
    g = _arrays.as_array(output_gradient, "output_gradient")
    if g.dtype.kind != "f" or g.dtype.itemsize > 8:
        raise TypeError(f"{who}: `output_gradient` must be a float16, float32 or float64 array. "
                        f"Received an array of dtype {g.dtype}.")
    if g.ndim not in (3, 4, 5):
        raise ValueError(f"{who}: `output_gradient` must have 3, 4 or 5 dimensions (batch, "
                         f"1-3 spatial, channels). Received an array with ndim={g.ndim}, "
                         f"shape {tuple(g.shape)}.")
    return g


def crop_gradient(output_gradient, cropping, data_format=None) -> np.ndarray:
    """Gradient of :func:`crop` with respect to its input: ``output_gradient`` zero-padded back
    by the cropped amounts (the input's shape follows from the two).

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``crop``'s output; float16/32/64, kept.
    cropping, data_format
        As given to :func:`crop`.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the uncropped input: ``output_gradient`` surrounded by
        zeros where the cropped cells were.

    Raises
    ------
    ValueError
        If ``output_gradient`` is not of rank 3, 4 or 5, or an amount is negative, too
        large or has the wrong number of entries (the message names the argument).
    TypeError
        If ``output_gradient`` is not a float16, float32 or float64 array.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.crop_gradient(np.ones((1, 2, 1)), [(1, 2)])[0, :, 0]
    array([0., 1., 1., 0., 0.])
    """
    g = _gradient_argument(output_gradient, "crop_gradient")
    pairs = _pairs_argument(cropping, "cropping", g.ndim)
    data_format = standardize_data_format(data_format)
    spatial = shapes.spatial_shape(g, data_format)
    out_spatial = tuple(s + a + b for s, (a, b) in zip(spatial, pairs, strict=True))
    return _window(g, data_format, out_spatial, tuple(a for a, _ in pairs))


def zero_pad_gradient(output_gradient, padding, data_format=None) -> np.ndarray:
    """Gradient of :func:`zero_pad` with respect to its input: the padding cropped off
    ``output_gradient`` (the padded zeros depend on nothing).

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``zero_pad``'s output; float16/32/64, kept. Each spatial axis must be at
        least ``before + after`` long (an input axis of length 0 gets an empty gradient).
    padding, data_format
        As given to :func:`zero_pad`.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the unpadded input: ``output_gradient`` without the
        padded border.

    Raises
    ------
    ValueError
        If ``output_gradient`` is not of rank 3, 4 or 5, or an amount is negative, too
        large or has the wrong number of entries (the message names the argument).
    TypeError
        If ``output_gradient`` is not a float16, float32 or float64 array.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.zero_pad_gradient(np.arange(5.0).reshape(1, 5, 1), [(1, 2)])[0, :, 0]
    array([1., 2.])
    """
    g = _gradient_argument(output_gradient, "zero_pad_gradient")
    pairs = _pairs_argument(padding, "padding", g.ndim)
    data_format = standardize_data_format(data_format)
    spatial = shapes.spatial_shape(g, data_format)
    for axis, size, (a, b) in zip(_AXIS_NAMES[len(pairs)], spatial, pairs, strict=True):
        if a + b > size:
            raise ValueError(
                f"zero_pad_gradient: `output_gradient` is {size} long along axis {axis}, "
                f"shorter than the padding ({a}, {b}) the forward pass added; it must have the "
                f"shape of zero_pad's output. Received shape {tuple(g.shape)} ({data_format}).")
    out_spatial = tuple(s - a - b for s, (a, b) in zip(spatial, pairs, strict=True))
    return _window(g, data_format, out_spatial, tuple(-a for a, _ in pairs))


def upsample_gradient(output_gradient, size, data_format=None,
                      interpolation="nearest") -> np.ndarray:
    """Gradient of :func:`upsample` with respect to its input.

    ``"nearest"``: each input pixel's gradient is the sum of its block of ``size`` output
    gradients. Interpolating modes: the transposed tap tables of :func:`tap_table` applied to
    ``output_gradient`` (:func:`transposed_tap_table`). Each input-gradient element is summed
    by one thread in an order fixed by the shapes: bit-identical for any thread count.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``upsample``'s output: every spatial axis a multiple of its factor.
        float32/float64 compute in their own precision, float16 in float32 and is rounded back.
        A NaN reaches every input whose transposed tap window contains it.
    size, data_format, interpolation
        As given to :func:`upsample`.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the input before upsampling: each input cell receives the
        sum of the output gradients it contributed to, with their weights.

    Raises
    ------
    ValueError
        If ``output_gradient`` is not of rank 3, 4 or 5, its spatial sizes are not multiples
        of ``size``, or ``size``/``interpolation`` is invalid (the message names the argument).
    TypeError
        If ``output_gradient`` is not a float16, float32 or float64 array.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.upsample_gradient(np.arange(4.0).reshape(1, 4, 1), 2)[0, :, 0]
    array([1., 5.])
    """
    g = _gradient_argument(output_gradient, "upsample_gradient")
    interpolation = standardize_interpolation(interpolation)
    if isinstance(size, (str, bytes)) or not (isinstance(size, (int, np.integer))
                                              or hasattr(size, "__len__")):
        raise ValueError("The `size` argument must be a positive int or a tuple of positive "
                         f"ints, one per spatial axis. Received size={size!r}")
    rank = g.ndim - 2
    if not isinstance(size, (int, np.integer)) and len(size) != rank:
        raise ValueError(f"`size`={size!r} has {len(size)} entries, so `output_gradient` must "
                         f"have {len(size) + 2} dimensions (batch, {len(size)} spatial, "
                         f"channels). Received an array with ndim={g.ndim}.")
    factors = standardize_tuple(size, rank, "size")
    data_format = standardize_data_format(data_format)
    spatial = shapes.spatial_shape(g, data_format)
    for axis, n, f in zip(_AXIS_NAMES[rank], spatial, factors, strict=True):
        if n % f:
            raise ValueError(f"upsample_gradient: `output_gradient` is {n} long along axis "
                             f"{axis}, not a multiple of its factor {f}; it must have the shape "
                             f"of upsample's output. Received shape {tuple(g.shape)} "
                             f"({data_format}).")
    in_spatial = tuple(n // f for n, f in zip(spatial, factors, strict=True))
    compute = np.dtype(np.float32) if g.dtype.itemsize <= 4 else np.dtype(np.float64)
    out = np.empty(_out_shape(g, in_spatial, data_format), dtype=compute)
    if out.size == 0:
        return out.astype(g.dtype, copy=False)
    src = _to_5d(g.astype(compute, copy=False), data_format)
    dst = _to_5d(out, data_format)
    work = src.nbytes + out.nbytes
    if interpolation == "nearest":
        sd, sh, sw = _pad3(factors, 1)
        _resample_grad.upsample_nearest_sum(src, dst, sd, sh, sw, threads_for(work))
    else:
        d, h, w = (transposed_tap_table(n_in, f, interpolation, compute.type)
                   for n_in, f in zip(_pad3(in_spatial, 1), _pad3(factors, 1), strict=True))
        _resample_grad.resample_gather(src, dst, d.start, d.weights, h.start, h.weights,
                                       w.start, w.weights, threads_for(work))
    return out.astype(g.dtype, copy=False)
