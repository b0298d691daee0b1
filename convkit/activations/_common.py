"""Helpers shared by the activation modules: the :func:`_activation` decorator (the dtype
rule of ``_prep`` and warning-free evaluation around every formula) and the overflow-free
sigmoid and softplus kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def _prep(x: ArrayLike) -> tuple[np.ndarray, np.dtype]:
    """Return (working array, output dtype) following the package's dtype rule."""
    if isinstance(x, (np.ndarray, np.generic)):
        arr = np.asarray(x)
        if arr.dtype.kind == "f":
            if arr.dtype.itemsize < 4:  # float16: too coarse to compute in
                return arr.astype(np.float32), arr.dtype
            return arr, arr.dtype
    else:
        arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Activations take real numbers. Received an array of dtype {arr.dtype}."
        )
    return arr.astype(np.float32), np.dtype(np.float32)


def _activation(formula: Callable[..., Any]) -> Callable[..., np.ndarray]:
    """Make a public activation of ``formula(x, *args)``, which sees the working array of
    :func:`_prep` and whose result is returned in the output dtype (without a copy when it
    already has it).

    The formula runs with NumPy's floating-point warnings off: overflow to inf, inf - inf
    and 0 * inf give the IEEE results Keras gives (silently); the formulas avoid them for
    finite inputs, but unused ``np.where`` branches and infinite inputs can still raise the
    flags.
    """

    @functools.wraps(formula)
    def activation(x: ArrayLike, *args: Any, **kwargs: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            x, dtype = _prep(x)
            return np.asarray(formula(x, *args, **kwargs)).astype(dtype, copy=False)

    return activation


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    r = np.empty(np.shape(x), dtype=x.dtype)  # explicit buffer: 0-d inputs stay arrays
    np.add(e, 1, out=r)
    np.reciprocal(r, out=r)
    np.multiply(e, r, out=r, where=x < 0)  # exp(x) / (1 + exp(x)) for negative x
    return r


def _softplus(x: np.ndarray) -> np.ndarray:
    # max(x, 0) + log1p(exp(-|x|)): same value as logaddexp(x, 0), several times faster
    y = np.log1p(np.exp(-np.abs(x)))
    y += np.maximum(x, 0)
    return y
