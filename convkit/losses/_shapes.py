"""Array intake and the shape rules every loss (and metric) shares.

Keras casts both inputs to the loss's dtype, squeezes or expands a trailing axis of 1 when
the ranks differ by one (``squeeze_or_expand_to_same_rank``) and, for gradients, the
broadcasting has to be undone; the helpers for all three live here.
"""

from __future__ import annotations

import numpy as np


def compute_dtype(y_pred, dtype=None) -> np.dtype:
    """The dtype a loss computes in: ``dtype`` if given, else float64 for float64
    predictions and float32 for everything else (Keras's ``floatx``)."""
    if dtype is not None:
        return np.dtype(dtype)
    kind = np.asarray(y_pred).dtype
    return np.dtype("float64") if kind == np.float64 else np.dtype("float32")


def as_float(x, dtype) -> np.ndarray:
    """``x`` as an array of ``dtype`` (a copy only when needed)."""
    return np.asarray(x, dtype=dtype)


def classification_kind(y_true, y_pred) -> str:
    """"binary" when predictions have one column, "sparse" when targets are labels (lower
    rank, or one column against several), else "categorical": how Keras picks the accuracy
    for "accuracy" and the cross-entropy for "crossentropy"."""
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    if p_shape[-1] == 1:
        return "binary"
    if len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1):
        return "sparse"
    return "categorical"


def squeeze_or_expand(x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True):
    """Keras's rule: when the ranks differ by one and the longer array ends in an axis of 1,
    drop that axis, except that a rank-1 partner gains one instead (``expand_rank_1``)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added or stretched to reach it from ``shape``."""
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)
