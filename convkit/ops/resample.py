"""Zero padding, cropping and upsampling of batched 1-D/2-D/3-D data (Keras 3 semantics).

``zero_pad``, ``crop`` and nearest ``upsample`` move raw bytes, so they keep any numeric or bool
dtype exactly. The interpolating modes of ``upsample`` follow ``keras.ops.image.resize`` on the jax
backend (docs/design/keras_parity.md §3.7): half-pixel centres, per-axis kernels renormalised over
the in-range taps, axes resampled separately.

The interpolating path (tap tables, resize kernels) lives in :mod:`convkit.ops.interpolation`,
the gradients in :mod:`convkit.ops.resample_grad` and the views and window copy they share in
:mod:`convkit.ops._resample_layout`; this module re-exports their names, so every resample
name is still importable from here.

Layout: kernels see C-contiguous ``(N, D, H, W, C)``. A ``channels_first`` array
``(N, C, *spatial)`` is the same thing with batch ``N*C`` and one channel, so it needs no
transpose at all.
"""

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, shapes
from ._resample_layout import (
    _AXIS_NAMES,
    _as_bytes,
    _out_shape,
    _pad3,
    _pairs_argument,
    _to_5d,
    _window,
)
from .arguments import (  # noqa: F401  (INTERPOLATIONS: the modes, re-exported with upsample)
    INTERPOLATIONS,
    standardize_data_format,
    standardize_interpolation,
    standardize_tuple,
)
from .interpolation import (  # noqa: F401  (the tap tables, re-exported: tests import them from here)
    TAP_RADIUS,
    TapTable,
    _interpolate,
    tap_table,
    transposed_tap_table,
)
from .resample_grad import crop_gradient, upsample_gradient, zero_pad_gradient

_resample = _kernels.load("_resample")

__all__ = ["zero_pad", "crop", "upsample", "zero_pad_gradient", "crop_gradient",
           "upsample_gradient"]


# ---------------------------------------------------------------------------------------------
# argument handling


def _spatial_rank(x: np.ndarray, who: str) -> int:
    rank = x.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{who}: `inputs` must have 3, 4 or 5 dimensions (batch, 1-3 spatial, "
                         f"channels). Received an array with ndim={x.ndim}, "
                         f"shape {tuple(x.shape)}.")
    return rank


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
