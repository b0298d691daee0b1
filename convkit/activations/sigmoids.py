"""Sigmoid-shaped (S-curve) activations: the logistic ``sigmoid`` and its ``hard_sigmoid``,
``sparse_sigmoid`` and ``log_sigmoid`` variants, ``tanh`` and ``hard_tanh``, and
``softsign``: each squashes the real line onto a bounded interval (``log_sigmoid`` onto the
log of one).

A module of its own because these saturate on both sides, unlike the rectifiers, and share
the overflow-free sigmoid and softplus kernels of :mod:`~convkit.activations._common`.

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from convkit.activations._common import _activation, _sigmoid, _softplus

__all__ = [
    "hard_sigmoid", "hard_tanh", "log_sigmoid", "sigmoid", "softsign", "sparse_sigmoid", "tanh",
]


@_activation
def softsign(x: ArrayLike) -> np.ndarray:
    """Softsign ``x / (|x| + 1)``.

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
    >>> from convkit.activations import softsign
    >>> softsign([-1.0, 3.0])
    array([-0.5 ,  0.75], dtype=float32)
    """
    return x / (np.abs(x) + 1)


@_activation
def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, evaluated through ``exp(-|x|)`` so that it
    never overflows.

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
    >>> from convkit.activations import sigmoid
    >>> sigmoid([-10000.0, 0.0, 10000.0])
    array([0. , 0.5, 1. ], dtype=float32)
    """
    return _sigmoid(x)


@_activation
def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent.

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
    >>> from convkit.activations import tanh
    >>> tanh([0.0, 10000.0])
    array([0., 1.], dtype=float32)
    """
    return np.tanh(x)


@_activation
def hard_tanh(x: ArrayLike) -> np.ndarray:
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

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
    >>> from convkit.activations import hard_tanh
    >>> hard_tanh([-3.0, 0.5, 3.0])
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    return np.clip(x, -1, 1)


@_activation
def hard_sigmoid(x: ArrayLike) -> np.ndarray:
    """Piecewise-linear sigmoid ``clip(x + 3, 0, 6) / 6``.

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
    >>> from convkit.activations import hard_sigmoid
    >>> hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return np.clip(x + 3, 0, 6) / 6


@_activation
def log_sigmoid(x: ArrayLike) -> np.ndarray:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for every finite input.

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
    >>> from convkit.activations import log_sigmoid
    >>> log_sigmoid([-10000.0, 0.0])
    array([-1.000000e+04, -6.931472e-01], dtype=float32)
    """
    return -_softplus(-x)


@_activation
def sparse_sigmoid(x: ArrayLike) -> np.ndarray:
    """Sparse sigmoid ``clip((x + 1) / 2, 0, 1)``.

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
    >>> from convkit.activations import sparse_sigmoid
    >>> sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return 0.5 * np.clip(x + 1, 0, 2)
