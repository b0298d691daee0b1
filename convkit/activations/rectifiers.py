"""Rectifiers: ``relu`` (with Keras's slope, ceiling and threshold), ``leaky_relu``,
``relu6`` and the exponential linear units ``elu``, ``selu`` and ``celu``: positive inputs
pass through (up to ``relu6``'s ceiling), the rest become 0, a slope or an exponential.

A module of its own because these are the piecewise ReLU and ELU units (``selu``'s constants
live here and :mod:`~convkit.activations.gradients` reads them); the smooth curves of the
same shape are in :mod:`~convkit.activations.smooth_rectifiers`.

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from convkit.activations._common import _activation

__all__ = [
    "celu", "elu", "leaky_relu", "relu", "relu6", "selu",
]


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_activation
def relu(
    x: ArrayLike,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> np.ndarray:
    """Rectified linear unit, with Keras's optional slope, ceiling and threshold.

    With the defaults this is ``max(x, 0)``. Otherwise, as in Keras: values above
    ``threshold`` pass, the rest become 0; the result is clipped to ``[0, max_value]``;
    then ``negative_slope * max(threshold - x, 0)`` is subtracted.

    Parameters
    ----------
    x : array_like
        Input.
    negative_slope : float, default 0.0
        Slope below the threshold.
    max_value : float or None, default None
        Saturation value; ``None`` for no ceiling.
    threshold : float, default 0.0
        Values at or below it are damped.

    Returns
    -------
    numpy.ndarray
        Same shape and float dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` holds complex numbers, strings or objects.

    Examples
    --------
    >>> from convkit.activations import relu
    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], max_value=5.0)
    array([0., 0., 0., 5., 5.], dtype=float32)
    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5)
    array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    """
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return leaky_relu(x, negative_slope)
    if threshold != 0:
        y = np.where(x > threshold, x, 0)
    else:
        y = np.maximum(x, 0)
    if max_value is not None:
        y = np.clip(y, 0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * np.maximum(threshold - x, 0)
    return y


@_activation
def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> np.ndarray:
    """Leaky ReLU: ``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    negative_slope : float, default 0.2
        Slope for negative inputs.

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
    >>> from convkit.activations import leaky_relu
    >>> leaky_relu([-2.0, 3.0])
    array([-0.4,  3. ], dtype=float32)
    """
    return np.where(x >= 0, x, negative_slope * x)


@_activation
def relu6(x: ArrayLike) -> np.ndarray:
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

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
    >>> from convkit.activations import relu6
    >>> relu6([-1.0, 3.0, 9.0])
    array([0., 3., 6.], dtype=float32)
    """
    return np.clip(x, 0, 6)


@_activation
def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    alpha : float, default 1.0
        Scale of the negative part.

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
    >>> from convkit.activations import elu
    >>> elu([-1.0, 2.0])
    array([-0.63212055,  2.        ], dtype=float32)
    """
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@_activation
def selu(x: ArrayLike) -> np.ndarray:
    """Scaled ELU: ``scale * elu(x, alpha)`` with Klambauer et al.'s constants
    (alpha ≈ 1.6733, scale ≈ 1.0507).

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
    >>> from convkit.activations import selu
    >>> selu([-1.0, 1.0])
    array([-1.1113307,  1.050701 ], dtype=float32)
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


@_activation
def celu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * expm1(min(x, 0) / alpha)``.

    Parameters
    ----------
    x : array_like
        Input values (integers and bools are converted to float32; float64 stays float64).
    alpha : float, default 1.0
        Scale of the negative part.

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
    >>> from convkit.activations import celu
    >>> celu([-2.0, 2.0], alpha=2.0)
    array([-1.2642411,  2.       ], dtype=float32)
    """
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)
