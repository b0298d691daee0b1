"""What the resample ops (:mod:`convkit.ops.resample`), their gradients
(:mod:`convkit.ops.resample_grad`) and the interpolating path (:mod:`convkit.ops.interpolation`)
share: the padding/cropping argument check, the kernels' ``(N, D, H, W, C)`` and byte views,
and the shifted-window copy that is ``zero_pad`` and ``crop`` and, with the offsets negated,
each other's gradient.

A module of its own so that all three can import it: :mod:`convkit.ops.resample` re-exports the
other two, so they cannot import it without a cycle.
"""

import numpy as np

from .. import _kernels
from .._threads import threads_for
from .arguments import standardize_pairs

_resample = _kernels.load("_resample")

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


# ---------------------------------------------------------------------------------------------
# the kernels' views and the window copy


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
