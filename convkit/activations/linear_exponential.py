"""``linear`` (the identity, the activation of a layer without one) and ``exponential``.

A module of its own because neither belongs to a family: no threshold, no saturation, no
smoothing of a rectifier.

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from convkit.activations._common import _activation

__all__ = [
    "exponential", "linear",
]


@_activation
def exponential(x: ArrayLike) -> np.ndarray:
    """Exponential ``exp(x)``; overflow gives ``inf`` silently, as in Keras.

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
    >>> from convkit.activations import exponential
    >>> exponential([0.0, 1.0])
    array([1.      , 2.718282], dtype=float32)
    """
    return np.exp(x)


@_activation
def linear(x: ArrayLike) -> np.ndarray:
    """Identity. A float array is returned as is (no copy).

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
    >>> from convkit.activations import linear
    >>> linear([1.0, -2.0])
    array([ 1., -2.], dtype=float32)
    """
    return x
