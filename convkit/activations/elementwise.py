"""Element-wise activations: each output value depends only on the input value at the same
position (the ReLU, ELU and smooth-ReLU families, sigmoid and tanh variants, shrinkage,
``linear``, ...).

Part of :mod:`convkit.activations`, whose docstring states the dtype and overflow rules.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from convkit._special import gelu_exact
from convkit.activations._common import _activation, _sigmoid, _softplus

__all__ = [
    "celu", "elu", "exponential", "gelu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "mish", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "squareplus",
    "swish", "tanh", "tanh_shrink", "threshold",
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
