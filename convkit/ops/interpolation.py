"""The interpolating modes of ``upsample`` (bilinear, bicubic, lanczos3, lanczos5): the resize
kernels, the per-axis tap tables and their transposes, and the call of the ``_resample.resample``
kernel. They follow ``keras.ops.image.resize`` on the jax backend
(docs/design/keras_parity.md §3.7): half-pixel centres, per-axis kernels renormalised over the
in-range taps, axes resampled separately.

Apart from :mod:`convkit.ops.resample` (which re-exports :class:`TapTable`, :func:`tap_table`,
:func:`transposed_tap_table` and :data:`TAP_RADIUS`) because the nearest mode, padding and
cropping only move bytes: this is the one path that computes weights, and the one the
interpolating gradient (:mod:`convkit.ops.resample_grad`) shares with the forward.
"""

import functools
from typing import NamedTuple

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import shapes
from ._resample_layout import _out_shape, _pad3, _to_5d

_resample = _kernels.load("_resample")

# how many input samples each side of its centre an output reads, per interpolating mode
TAP_RADIUS = {"bilinear": 1, "bicubic": 2, "lanczos3": 3, "lanczos5": 5}


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
