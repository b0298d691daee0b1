"""Smooth rectifiers: ReLU-shaped activations without ReLU's corner at 0: ``softplus`` and
its piecewise-quadratic and algebraic cousins ``sparse_plus`` and ``squareplus``, and the
self-gated units ``x * g(x)``: ``silu`` (``swish``), ``gelu``, ``mish``, with ``hard_silu``
(``hard_swish``), the piecewise-linear stand-in for ``silu``.

A module of its own because these curves approximate a rectifier rather than squash or
shrink their input; the piecewise ReLU and ELU units are in
:mod:`~convkit.activations.rectifiers`.

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from convkit._special import gelu_exact
from convkit.activations._common import _activation, _sigmoid, _softplus

__all__ = [
    "gelu", "hard_silu", "hard_swish", "mish", "silu", "softplus", "sparse_plus", "squareplus",
    "swish",
]


@_activation
def softplus(x: ArrayLike) -> np.ndarray:
    """Softplus ``log(1 + exp(x))``, as ``max(x, 0) + log1p(exp(-|x|))`` so it never
    overflows.

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
    >>> from convkit.activations import softplus
    >>> softplus([-10000.0, 0.0, 10000.0])
    array([0.000000e+00, 6.931472e-01, 1.000000e+04], dtype=float32)
    """
    return _softplus(x)


@_activation
def sparse_plus(x: ArrayLike) -> np.ndarray:
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` on ``(-1, 1)``, ``x`` for ``x >= 1``.

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
    >>> from convkit.activations import sparse_plus
    >>> sparse_plus([-2.0, 0.0, 2.0])
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    mid = np.square(np.clip(x, -1, 1) + 1) / 4  # clipped: no overflow in the unused branch
    return np.where(x <= -1, 0, np.where(x >= 1, x, mid))


@_activation
def silu(x: ArrayLike) -> np.ndarray:
    """SiLU / swish: ``x * sigmoid(x)``. ``swish`` is the same function.

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
    >>> from convkit.activations import silu
    >>> silu([-1.0, 0.0, 1.0])
    array([-0.2689414,  0.       ,  0.7310586], dtype=float32)
    """
    return x * _sigmoid(x)


swish = silu


@_activation
def squareplus(x: ArrayLike, b: float = 4) -> np.ndarray:
    """Squareplus ``(x + sqrt(x**2 + b)) / 2``.

    For ``x < 0`` the algebraically equal ``b / (2 * (sqrt(x**2 + b) - x))`` is used, so
    large negative inputs give the small positive value rather than a cancelled 0.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    b : float, default 4
        Smoothness near 0 (``b = 0`` is ReLU).

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
    >>> from convkit.activations import squareplus
    >>> squareplus([-1.5, 0.0, 1.5])
    array([0.5, 1. , 2. ], dtype=float32)
    """
    if b >= 0:
        root = np.hypot(x, math.sqrt(b))  # sqrt(x**2 + b) without overflowing x**2
        half = np.where(x >= 0, x / 2 + root / 2, (b / 4) / (root / 2 - x / 2))
    else:  # not a smooth ReLU any more; keep the textbook formula
        half = (x + np.sqrt(np.square(x) + b)) / 2
    return half


@_activation
def gelu(x: ArrayLike, approximate: bool = False) -> np.ndarray:
    """Gaussian error linear unit ``x * P(X <= x)``, ``X ~ N(0, 1)``.

    ``approximate=False`` (the Keras activation default) evaluates ``0.5 * x *
    erfc(-x / sqrt(2))`` to full precision of the dtype; ``approximate=True`` uses the tanh
    formula ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x**3)))``.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    approximate : bool, default False
        Use the tanh approximation instead of the exact error function.

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
    >>> from convkit.activations import gelu
    >>> gelu([-1.0, 0.0, 1.0])
    array([-0.15865526,  0.        ,  0.8413448 ], dtype=float32)
    >>> gelu([-1.0, 0.0, 1.0], approximate=True)
    array([-0.158808,  0.      ,  0.841192], dtype=float32)
    """
    if approximate:
        c = np.sqrt(2 / np.pi).astype(x.dtype)
        inner = c * (x + 0.044715 * (x * x * x))  # inf only where tanh is +-1 anyway
        return x * (0.5 * (1 + np.tanh(inner)))
    return gelu_exact(x)


@_activation
def hard_silu(x: ArrayLike) -> np.ndarray:
    """Hard SiLU / hard swish: ``x * hard_sigmoid(x)``. ``hard_swish`` is the same function.

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
    >>> from convkit.activations import hard_silu
    >>> hard_silu([-4.0, 1.5, 4.0])
    array([-0.   ,  1.125,  4.   ], dtype=float32)
    """
    return x * (np.clip(x + 3, 0, 6) / 6)


hard_swish = hard_silu


@_activation
def mish(x: ArrayLike) -> np.ndarray:
    """Mish ``x * tanh(softplus(x))``.

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
    >>> from convkit.activations import mish
    >>> mish([-1.0, 0.0, 1.0])
    array([-0.3034014,  0.       ,  0.8650984], dtype=float32)
    """
    return x * np.tanh(_softplus(x))
