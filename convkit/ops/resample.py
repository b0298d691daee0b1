"""Zero padding, cropping and upsampling of batched 1-D/2-D/3-D data (Keras 3 semantics).

Each op's gradient (``zero_pad_gradient``, ``crop_gradient``, ``upsample_gradient``) is its
adjoint: cropping and zero padding are each other's, nearest upsampling's sums each block of
``size`` pixels back into one, and interpolation's applies the transposed tap tables.

``zero_pad``, ``crop`` and nearest ``upsample`` move raw bytes, so they keep any numeric or bool
dtype exactly. The interpolating modes of ``upsample`` follow ``keras.ops.image.resize`` on the jax
backend (docs/design/keras_parity.md §3.7): half-pixel centres, per-axis kernels renormalised over
the in-range taps, axes resampled separately.

Layout: kernels see C-contiguous ``(N, D, H, W, C)``. A ``channels_first`` array
``(N, C, *spatial)`` is the same thing with batch ``N*C`` and one channel, so it needs no
transpose at all.
"""

import functools
from typing import NamedTuple

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, shapes
from .arguments import (  # noqa: F401  (INTERPOLATIONS: the modes, re-exported with upsample)
    INTERPOLATIONS,
    standardize_data_format,
    standardize_interpolation,
    standardize_pairs,
    standardize_tuple,
)

_resample = _kernels.load("_resample")
_resample_grad = _kernels.load("_resample_grad")   # the adjoints

__all__ = ["zero_pad", "crop", "upsample", "zero_pad_gradient", "crop_gradient",
           "upsample_gradient"]

# how many input samples each side of its centre an output reads, per interpolating mode
TAP_RADIUS = {"bilinear": 1, "bicubic": 2, "lanczos3": 3, "lanczos5": 5}
_AXIS_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


# ---------------------------------------------------------------------------------------------
# argument handling


def _pairs_argument(value, name: str, ndim: int) -> tuple:
    """``padding``/``cropping``: one int or ``(before, after)`` pair per spatial axis."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(f"`{name}` must be a sequence of (before, after) pairs, one per "
                         f"spatial axis. Received: {name}={value!r}")
    rank = len(value)
    if rank not in (1, 2, 3):
        raise ValueError(f"`{name}` must have 1, 2 or 3 entries (one per spatial axis). "
                         f"Received: {name}={value!r}")
    pairs = standardize_pairs(value, rank, name)
    if ndim != rank + 2:
        raise ValueError(f"`inputs` must have {rank + 2} dimensions (batch, {rank} spatial, "
                         f"channels) to match `{name}`={value!r} ({rank} spatial axes). "
                         f"Received an array with ndim={ndim}.")
    return pairs


def _spatial_rank(x: np.ndarray, who: str) -> int:
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{who}: `inputs` must have 3, 4 or 5 dimensions (batch, 1-3 spatial, "
                         f"channels). Received an array with ndim={x.ndim}, "
                         f"shape {tuple(x.shape)}.")
    return rank


def _to_5d(x: np.ndarray, data_format: str) -> np.ndarray:
    """C-contiguous ``(N, D, H, W, C)`` view (a copy only if ``x`` is not C-contiguous).

    channels_first ``(N, C, *S)`` becomes ``(N*C, *S, 1)``: same memory, no transpose.
    """
    x = np.require(x, requirements="CA")  # C-contiguous and aligned (kernels use word moves)
    if data_format == "channels_first":
        n, c, *spatial = x.shape
        n, chans = n * c, 1
    else:
        n, *spatial, chans = x.shape
    full = [1] * (3 - len(spatial)) + list(spatial)
    return x.reshape(n, *full, chans)


def _out_shape(x: np.ndarray, spatial: tuple, data_format: str) -> tuple:
    if data_format == "channels_first":
        return (x.shape[0], x.shape[1], *spatial)
    return (x.shape[0], *spatial, x.shape[-1])


def _as_bytes(a5: np.ndarray) -> np.ndarray:
    """View a C-contiguous 5-D array as uint8 with the last axis = C * itemsize."""
    n, d, h, w, c = a5.shape
    return a5.view(np.uint8).reshape(n, d, h, w, c * a5.dtype.itemsize)


def _pad3(values: tuple, fill: int) -> tuple:
    return (fill,) * (3 - len(values)) + tuple(values)


def _window(x: np.ndarray, data_format: str, out_spatial: tuple, offsets: tuple) -> np.ndarray:
    """Shared body of zero_pad and crop: a shifted-window copy with zero fill."""
    out = np.empty(_out_shape(x, out_spatial, data_format), dtype=x.dtype)
    if out.size == 0:
        return out
    if x.size == 0:  # a zero-length spatial axis padded out: nothing but zeros
        out[...] = 0
        return out
    src = _to_5d(x, data_format)
    dst = _to_5d(out, data_format)
    off_d, off_h, off_w = _pad3(offsets, 0)
    # work: bytes written, plus bytes read (the overlap of the windows, at most the smaller)
    _resample.window_copy(_as_bytes(src), _as_bytes(dst), off_d, off_h, off_w,
                          threads_for(out.nbytes + min(x.nbytes, out.nbytes)))
    return out


# ---------------------------------------------------------------------------------------------
# public ops


def zero_pad(inputs, padding, data_format=None) -> np.ndarray:
    """Pad the spatial axes of a batch with exact zeros (Keras ``ZeroPadding1D/2D/3D``).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``;
        any real numeric or bool dtype, kept as is.
    padding : sequence
        One entry per spatial axis (1 to 3): a ``(before, after)`` pair of non-negative ints,
        or one int for both sides.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array, each spatial axis longer by ``before + after``.

    Raises
    ------
    ValueError
        If ``inputs`` is not of rank 3, 4 or 5, or an amount is negative, too large or has the
        wrong number of entries (the message names the argument).
    TypeError
        If ``inputs`` is a complex, object or string array.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.zero_pad(np.ones((1, 2, 1), dtype=np.int8), [(1, 2)])[0, :, 0]
    array([0, 1, 1, 0, 0], dtype=int8)
    """
    x = _arrays.as_array(inputs)
    pairs = _pairs_argument(padding, "padding", x.ndim)
    data_format = standardize_data_format(data_format)
    spatial = shapes.spatial_shape(x, data_format)
    out_spatial = tuple(s + a + b for s, (a, b) in zip(spatial, pairs, strict=True))
    return _window(x, data_format, out_spatial, tuple(a for a, _ in pairs))


def crop(inputs, cropping, data_format=None) -> np.ndarray:
    """Remove ``(before, after)`` elements from each spatial axis (Keras ``Cropping1D/2D/3D``).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``;
        any real numeric or bool dtype, kept as is.
    cropping : sequence
        One entry per spatial axis (1 to 3): a ``(before, after)`` pair of non-negative ints,
        or one int for both sides. ``before + after`` must be smaller than the axis length.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array (never a view of ``inputs``).

    Raises
    ------
    ValueError
        If ``inputs`` is not of rank 3, 4 or 5, or an amount is negative, too large or has the
        wrong number of entries (the message names the argument).
    TypeError
        If ``inputs`` is a complex, object or string array.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.crop(np.arange(5).reshape(1, 5, 1), [(1, 0)])[0, :, 0]
    array([1, 2, 3, 4])
    """
    x = _arrays.as_array(inputs)
    pairs = _pairs_argument(cropping, "cropping", x.ndim)
    data_format = standardize_data_format(data_format)
    spatial = shapes.spatial_shape(x, data_format)
    names = _AXIS_NAMES[len(pairs)]
    for axis, size, (a, b) in zip(names, spatial, pairs, strict=True):
        if a + b >= size:
            raise ValueError(
                f"`cropping` must be smaller than the input along every spatial axis: axis "
                f"{axis} has length {size}, but cropping=({a}, {b}) removes {a + b}. "
                f"Received: cropping={cropping!r} for an input of shape {tuple(x.shape)} "
                f"({data_format}).")
    out_spatial = tuple(s - a - b for s, (a, b) in zip(spatial, pairs, strict=True))
    return _window(x, data_format, out_spatial, tuple(-a for a, _ in pairs))


def upsample(inputs, size, data_format=None, interpolation="nearest") -> np.ndarray:
    """Upsample the spatial axes by integer factors (Keras ``UpSampling1D/2D/3D``).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``,
        1 to 3 spatial axes.
    size : int or sequence of int
        Positive factor per spatial axis; an int applies to every axis.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.
    interpolation : {"nearest", "bilinear", "bicubic", "lanczos3", "lanczos5"}
        ``"nearest"`` repeats each element ``size`` times along each axis (any dtype, exact).
        The others resample like ``keras.ops.image.resize`` (half-pixel centres, weights
        renormalised over in-range taps; any number of spatial axes) and need floating input:
        float32/float64 compute in their own precision, float16 computes in float32 and is
        rounded back to float16. A NaN reaches every output whose tap window (the ``2 * radius``
        input samples around it) contains it; Keras on jax, contracting dense weight matrices,
        spreads it along the whole row and column instead.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array, spatial axes multiplied by ``size``.

    Raises
    ------
    ValueError
        If ``inputs`` is not of rank 3, 4 or 5, or an amount is negative, too large or has the
        wrong number of entries (the message names the argument).
    TypeError
        If ``inputs`` is a complex, object or string array.
    ValueError
        If ``interpolation`` is not one of the names above (case-insensitive).
    TypeError
        If ``interpolation`` is not ``"nearest"`` and ``inputs`` is not floating point.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.upsample(np.array([[[1], [2]]]), 2)[0, :, 0]
    array([1, 1, 2, 2])
    >>> ops.upsample(np.arange(1.0, 5.0).reshape(1, 1, 4, 1), (1, 2),
    ...              interpolation="bilinear")[0, 0, :, 0]
    array([1.  , 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.  ])
    """
    x = _arrays.as_array(inputs)
    interpolation = standardize_interpolation(interpolation)
    if isinstance(size, (int, np.integer)):
        rank = _spatial_rank(x, "upsample")
    elif isinstance(size, (str, bytes)) or not hasattr(size, "__len__"):
        raise ValueError("The `size` argument must be a positive int or a tuple of positive "
                         f"ints, one per spatial axis. Received size={size!r}")
    else:
        rank = len(size)
        if rank not in (1, 2, 3) or x.ndim != rank + 2:
            raise ValueError(f"`size`={size!r} has {rank} entries, so `inputs` must have "
                             f"{rank + 2} dimensions (batch, {rank} spatial, channels). "
                             f"Received an array with ndim={x.ndim}.")
    factors = standardize_tuple(size, rank, "size")
    data_format = standardize_data_format(data_format)
    if interpolation != "nearest":
        if x.dtype.kind != "f" or x.dtype.itemsize > 8:
            raise TypeError(f"upsample: interpolation='{interpolation}' needs float16, float32 "
                            f"or float64 `inputs`. Received an array of dtype {x.dtype}; "
                            "cast it first, or use interpolation='nearest'.")
        return _interpolate(x, factors, data_format, interpolation)
    spatial = shapes.spatial_shape(x, data_format)
    out_spatial = tuple(s * f for s, f in zip(spatial, factors, strict=True))
    out = np.empty(_out_shape(x, out_spatial, data_format), dtype=x.dtype)
    if out.size == 0:
        return out
    sd, sh, sw = _pad3(factors, 1)
    _resample.upsample_nearest(_as_bytes(_to_5d(x, data_format)),
                               _as_bytes(_to_5d(out, data_format)), sd, sh, sw,
                               threads_for(x.nbytes + out.nbytes))
    return out


# ---------------------------------------------------------------------------------------------
# interpolation tables


def _kernel_values(name: str, x: np.ndarray) -> np.ndarray:
    """The resize kernel at distances ``x >= 0`` (float64), as jax.image defines it."""
    if name == "bilinear":
        return np.maximum(0.0, 1.0 - x)
    if name == "bicubic":  # Keys, a = -0.5
        inner = ((1.5 * x - 2.5) * x) * x + 1.0
        outer = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
        return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, outer, inner))
    radius = TAP_RADIUS[name]  # lanczos
    with np.errstate(divide="ignore", invalid="ignore"):
        sinc2 = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi ** 2 * x * x)
    return np.where(x > radius, 0.0, np.where(x > 1e-3, sinc2, 1.0))


class TapTable(NamedTuple):
    """One axis's taps for the interpolating kernel (built by :func:`tap_table`).

    Output ``j`` is ``sum_e weights[j, e] * input[start[j] + e]``. Over the input pixels
    ``[q_lo, q_hi)`` (empty when ``q_hi <= q_lo``) the taps are periodic: output
    ``factor * q + p`` starts at ``q + off_p`` with weights depending on ``p`` only, which the
    kernel's by-phase path relies on (it checks the starts, ``_check_taps``).
    """

    start: np.ndarray    # (n_out,) intp, non-decreasing, read-only
    weights: np.ndarray  # (n_out, taps) in the compute dtype, read-only
    q_lo: int
    q_hi: int


@functools.lru_cache(maxsize=128)
def tap_table(n_in: int, factor: int, interpolation: str, dtype) -> TapTable:
    """Start indices, weights and periodic range of one axis: the one place they are derived.

    A factor-1 axis is the identity (jax skips it). Otherwise output ``j = factor * q + p``
    samples input coordinate ``u = (j + 0.5) / factor - 0.5 = q + u_p``; its
    ``T = min(n_in, 2 * radius)`` taps are the input samples nearest ``u`` (shifted to stay
    inside the input), weighted by the kernel and renormalised to sum to 1. Distances are
    formed as ``frac(u_p) + integer``, so outputs of one phase ``p`` whose taps were not
    shifted get bit-identical weights: the periodic range is the input pixels all of whose
    outputs kept their unshifted start. Cached per argument set (layers call with the same
    shapes again and again); the arrays are read-only.
    """
    if factor == 1:
        return TapTable(_frozen(np.arange(n_in, dtype=np.intp)),
                        _frozen(np.ones((n_in, 1), dtype=dtype)), 0, n_in)
    radius = TAP_RADIUS[interpolation]
    taps = min(n_in, 2 * radius)
    j = np.arange(n_in * factor)
    u_p = (j % factor + 0.5) / factor - 0.5
    floor_p = np.floor(u_p)
    base = j // factor + floor_p.astype(np.intp)        # floor(u)
    unshifted = base - radius + 1
    start = np.clip(unshifted, 0, n_in - taps)
    offsets = base[:, None] - (start[:, None] + np.arange(taps))   # exact small integers
    w = _kernel_values(interpolation, np.abs((u_p - floor_p)[:, None] + offsets))
    w /= w.sum(axis=1, keepdims=True)
    # shifting happens only near the two ends, so the unshifted pixels are one run
    periodic = np.flatnonzero((start == unshifted).reshape(n_in, factor).all(axis=1))
    q_lo, q_hi = (int(periodic[0]), int(periodic[-1]) + 1) if periodic.size else (0, 0)
    return TapTable(_frozen(start.astype(np.intp, copy=False)),
                    _frozen(np.ascontiguousarray(w, dtype=dtype)), q_lo, q_hi)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _interpolate(x: np.ndarray, factors: tuple, data_format: str, method: str) -> np.ndarray:
    compute = np.dtype(np.float32) if x.dtype.itemsize <= 4 else np.dtype(np.float64)
    spatial = shapes.spatial_shape(x, data_format)
    out_spatial = tuple(s * f for s, f in zip(spatial, factors, strict=True))
    out = np.empty(_out_shape(x, out_spatial, data_format), dtype=compute)
    if out.size == 0:
        return out.astype(x.dtype, copy=False)
    src = _to_5d(x.astype(compute, copy=False), data_format)
    d, h, w = (tap_table(n_in, f, method, compute.type)
               for n_in, f in zip(_pad3(spatial, 1), _pad3(factors, 1), strict=True))
    _resample.resample(src, _to_5d(out, data_format), d.start, d.weights, h.start, h.weights,
                       w.start, w.weights, factors[-1], w.q_lo, w.q_hi,
                       threads_for(src.nbytes + out.nbytes))
    return out.astype(x.dtype, copy=False)


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


@functools.lru_cache(maxsize=128)
def transposed_tap_table(n_in: int, factor: int, interpolation: str, dtype) -> TapTable:
    """The adjoint of :func:`tap_table`'s axis, as a gather table over its outputs.

    Input ``i`` of the forward axis receives ``sum_j weights[j, i - start[j]] * dy[j]`` over the
    outputs ``j`` whose taps cover it: a contiguous run, since starts never decrease. The table
    has one row per input: ``start`` the run's first output (moved down near the end so that a
    fixed width stays inside the outputs) and the forward weights in order, zero where a tap
    of the fixed width covers an output that does not read ``i``. No periodic range
    (``q_lo == q_hi == 0``). Cached and read-only like :func:`tap_table`.
    """
    forward = tap_table(n_in, factor, interpolation, dtype)
    if factor == 1:
        return forward  # the identity is its own transpose
    n_out, taps = forward.weights.shape
    i = np.arange(n_in)
    # outputs reading input i: start[j] <= i < start[j] + taps, one run [first, last)
    first = np.searchsorted(forward.start + taps, i, side="right")
    last = np.searchsorted(forward.start, i, side="right")
    width = max(int((last - first).max()), 1)
    start = np.minimum(first, n_out - width)
    j = start[:, None] + np.arange(width)                   # (n_in, width) outputs
    offset = i[:, None] - forward.start[j]                  # i's tap index in output j
    reads = (offset >= 0) & (offset < taps)
    weights = np.where(reads, forward.weights[j, np.clip(offset, 0, taps - 1)], 0).astype(dtype)
    return TapTable(_frozen(start.astype(np.intp)), _frozen(np.ascontiguousarray(weights)), 0, 0)
