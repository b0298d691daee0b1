"""Activations that combine the values along an axis: ``softmax``, ``log_softmax`` and
``sparsemax`` (which normalise onto the probability simplex) and ``glu`` (which gates one
half of the axis by the other).

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from convkit.activations._common import _activation, _sigmoid

__all__ = [
    "glu", "log_softmax", "softmax", "sparsemax",
]


@_activation
def softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1) -> np.ndarray:
    """Softmax along ``axis`` (an int, a tuple of ints, or None for all axes).

    Computed as ``exp(x - max) / sum(exp(x - max))``, so large logits do not overflow.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    axis : int, tuple of int or None, default -1
        The axis (or axes) the function normalises over.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.
    numpy.exceptions.AxisError
        If ``axis`` is out of range for ``x``.

    Examples
    --------
    >>> from convkit.activations import softmax
    >>> softmax([1000.0, 1000.0])
    array([0.5, 0.5], dtype=float32)
    """
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@_activation
def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] | None = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, computed stably as ``s - log(sum(exp(s)))``,
    ``s = x - max(x)``.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    axis : int, tuple of int or None, default -1
        The axis (or axes) the function normalises over.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.
    numpy.exceptions.AxisError
        If ``axis`` is out of range for ``x``.

    Examples
    --------
    >>> from convkit.activations import log_softmax
    >>> log_softmax([0.0, 0.0])
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    shifted = x - np.max(x, axis=axis, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted - lse


@_activation
def sparsemax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Sparsemax (Martins & Astudillo, 2016): Euclidean projection of ``x`` onto the
    probability simplex along ``axis``; the result is non-negative, sums to 1 and is often
    exactly 0 for small logits.

    ``max(x - tau, 0)`` with ``tau = (sum of the k largest - 1) / k`` and ``k`` the support
    size. Keras 3.15 computes a wrong ``tau`` whenever ``k > 1`` (keras-team/keras#23425);
    convkit follows the paper.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    axis : int, default -1
        The axis (or axes) the function normalises over.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.
    numpy.exceptions.AxisError
        If ``axis`` is out of range for ``x``.

    Examples
    --------
    >>> from convkit.activations import sparsemax
    >>> sparsemax([0.0, 0.5, 1.0])
    array([0.  , 0.25, 0.75], dtype=float32)
    """
    # Shift-invariant; removing the maximum keeps the cumulative sums small and accurate.
    z = x - np.max(x, axis=axis, keepdims=True)
    z_sorted = np.flip(np.sort(z, axis=axis), axis=axis)
    cumsum = np.cumsum(z_sorted, axis=axis)
    shape = [1] * z.ndim
    shape[axis] = -1
    rank = np.arange(1, z.shape[axis] + 1, dtype=z.dtype).reshape(shape)
    support = 1 + rank * z_sorted > cumsum
    k = np.sum(support, axis=axis, keepdims=True)
    tau = (np.take_along_axis(cumsum, k - 1, axis=axis) - 1) / k.astype(z.dtype)
    return np.maximum(z - tau, 0)


@_activation
def glu(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``, return
    ``a * sigmoid(b)``.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    axis : int, default -1
        The axis split into halves ``a`` and ``b`` (its length must be even).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    ValueError
        If the size of ``axis`` is odd.

    Examples
    --------
    >>> from convkit.activations import glu
    >>> glu([-1.0, 0.0, 1.0, 1.0])
    array([-0.7310586,  0.       ], dtype=float32)
    """
    if x.shape[axis] % 2:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={x.shape} with axis={axis}"
        )
    a, b = np.split(x, 2, axis=axis)
    return a * _sigmoid(b)
