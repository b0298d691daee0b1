"""Shrinkage and thresholding: ``soft_shrink``, ``hard_shrink`` and ``tanh_shrink``, which
pull values towards 0, and ``threshold``, which replaces those at or below a threshold.

A module of its own because these set or pull small values to 0 (the denoising
activations), a job none of the rectifier or sigmoid families does.

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from convkit.activations._common import _activation

__all__ = [
    "hard_shrink", "soft_shrink", "tanh_shrink", "threshold",
]


@_activation
def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Soft shrinkage: ``x - threshold`` above ``threshold``, ``x + threshold`` below
    ``-threshold``, 0 in between.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    threshold : float, default 0.5
        Values whose magnitude is at most this become 0.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.

    Examples
    --------
    >>> from convkit.activations import soft_shrink
    >>> soft_shrink([-2.0, 0.25, 2.0])
    array([-1.5,  0. ,  1.5], dtype=float32)
    """
    y = np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0))
    return y


@_activation
def tanh_shrink(x: ArrayLike) -> np.ndarray:
    """Tanh shrink ``x - tanh(x)``.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.

    Examples
    --------
    >>> from convkit.activations import tanh_shrink
    >>> tanh_shrink([0.0, 2.0])
    array([0.       , 1.0359724], dtype=float32)
    """
    return x - np.tanh(x)


@_activation
def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> np.ndarray:
    """Hard shrinkage: ``x`` where ``|x| > threshold``, 0 elsewhere.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    threshold : float, default 0.5
        Values whose magnitude is at most this become 0.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.

    Examples
    --------
    >>> from convkit.activations import hard_shrink
    >>> hard_shrink([-1.0, 0.25, 1.0])
    array([-1.,  0.,  1.], dtype=float32)
    """
    return np.where(np.abs(x) > threshold, x, 0)


@_activation
def threshold(x: ArrayLike, threshold: float, default_value: float) -> np.ndarray:
    """``x`` where ``x > threshold``, ``default_value`` elsewhere (both arguments required,
    as in Keras).

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    threshold : float
        Entries at or below it are replaced by ``default_value``.
    default_value : float
        The value given to entries at or below ``threshold``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``, float32 (float64 for float64 input).

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.

    Examples
    --------
    >>> from convkit.activations import threshold
    >>> threshold([-1.0, 0.5, 2.0], 1.0, -9.0)
    array([-9., -9.,  2.], dtype=float32)
    """
    return np.where(x > threshold, x, default_value)
