"""Backward passes of the activations: ``gradient(activation, x, dy)`` is the gradient of a
loss with respect to the activation's input ``x``, given ``dy``, the gradient with respect to
its output (a vector-Jacobian product: element-wise activations multiply ``dy`` by their
derivative; ``softmax``, ``log_softmax``, ``sparsemax`` and ``glu`` combine along their axis).

The derivatives are those of the formulas in the family modules of the element-wise
activations (:mod:`~convkit.activations.rectifiers`,
:mod:`~convkit.activations.smooth_rectifiers`, :mod:`~convkit.activations.sigmoids`,
:mod:`~convkit.activations.shrinkage`, :mod:`~convkit.activations.linear_exponential`) and
of :mod:`~convkit.activations.along_axis`, which follow Keras 3 on JAX; at the kinks of the
piecewise functions they take the side ``jax.grad`` takes for Keras's formulas (``relu``: 0
at 0; ``leaky_relu``: 1 at 0; ``relu6``/``hard_sigmoid``/``hard_tanh``/``sparse_sigmoid``:
the inner slope only strictly inside, as ``jax.nn``'s custom derivatives and ``clip``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from convkit._special import erfc
from convkit.activations import along_axis as _axis
from convkit.activations import linear_exponential as _linexp
from convkit.activations import rectifiers as _rect
from convkit.activations import shrinkage as _shrink
from convkit.activations import sigmoids as _sig
from convkit.activations import smooth_rectifiers as _smooth
from convkit.activations._common import _sigmoid, _softplus
from convkit.activations.rectifiers import _SELU_ALPHA, _SELU_SCALE

__all__ = ["gradient", "has_gradient"]


def _relu(x, dy, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return _leaky_relu(x, dy, negative_slope)
    inner = x > threshold
    if max_value is not None:
        inner &= x < max_value
    d = inner.astype(x.dtype)
    if negative_slope != 0.0:
        d = d + negative_slope * (x < threshold)
    return dy * d


def _leaky_relu(x, dy, negative_slope=0.2):
    return dy * np.where(x >= 0, 1, negative_slope).astype(x.dtype)


def _elu(x, dy, alpha=1.0):
    return dy * np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype)


def _celu(x, dy, alpha=1.0):
    return dy * np.where(x > 0, 1, np.exp(np.minimum(x, 0) / alpha)).astype(x.dtype)


def _gelu(x, dy, approximate=False):
    if approximate:
        c = math.sqrt(2 / math.pi)
        inner = c * (x + 0.044715 * (x * x * x))
        t = np.tanh(inner)
        d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
        return dy * d
    cdf = 0.5 * erfc(-x / math.sqrt(2))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return dy * (cdf + x * pdf)


def _squareplus(x, dy, b=4):
    return dy * (0.5 + 0.5 * x / np.sqrt(x * x + b))


def _mish(x, dy):
    t = np.tanh(_softplus(x))
    return dy * (t + x * (1 - t * t) * _sigmoid(x))


def _silu(x, dy):
    s = _sigmoid(x)
    return dy * (s * (1 + x * (1 - s)))


def _hard_silu(x, dy):
    d = np.where(x <= -3, 0, np.where(x >= 3, 1, (2 * x + 3) / 6))
    return dy * d.astype(x.dtype)


def _tanh(x, dy):
    t = np.tanh(x)
    return dy * (1 - t * t)


def _sigmoid_grad(x, dy):
    s = _sigmoid(x)
    return dy * (s * (1 - s))


def _inside(x, lo, hi, slope):
    return ((x > lo) & (x < hi)).astype(x.dtype) * slope


def _softmax(x, dy, axis=-1):
    y = _axis.softmax(x, axis=axis)
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


def _log_softmax(x, dy, axis=-1):
    return dy - _axis.softmax(x, axis=axis) * np.sum(dy, axis=axis, keepdims=True)


def _sparsemax(x, dy, axis=-1):
    support = (_axis.sparsemax(x, axis=axis) > 0).astype(x.dtype)
    mean = np.sum(dy * support, axis=axis, keepdims=True) / np.sum(support, axis=axis,
                                                                   keepdims=True)
    return support * (dy - mean)


def _glu(x, dy, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    s = _sigmoid(b)
    return np.concatenate([dy * s, dy * a * s * (1 - s)], axis=axis)


_GRADIENTS: dict[Callable, Callable] = {
    _rect.relu: _relu,
    _rect.leaky_relu: _leaky_relu,
    _rect.relu6: lambda x, dy: dy * _inside(x, 0, 6, 1),
    _rect.elu: _elu,
    _rect.selu: lambda x, dy: _SELU_SCALE * _elu(x, dy, _SELU_ALPHA),
    _rect.celu: _celu,
    _smooth.softplus: lambda x, dy: dy * _sigmoid(x),
    _sig.softsign: lambda x, dy: dy / np.square(np.abs(x) + 1),
    _shrink.soft_shrink: lambda x, dy, threshold=0.5: dy * (np.abs(x) > threshold),
    _smooth.sparse_plus: lambda x, dy: dy * np.where(
        x <= -1, 0, np.where(x >= 1, 1, (np.clip(x, -1, 1) + 1) / 2)).astype(x.dtype),
    _sig.sigmoid: _sigmoid_grad,
    _smooth.silu: _silu,
    _smooth.squareplus: _squareplus,
    _smooth.gelu: _gelu,
    _sig.tanh: _tanh,
    _shrink.tanh_shrink: lambda x, dy: dy * np.square(np.tanh(x)),
    _sig.hard_tanh: lambda x, dy: dy * ((x >= -1) & (x <= 1)),
    _shrink.hard_shrink: lambda x, dy, threshold=0.5: dy * (np.abs(x) > threshold),
    _shrink.threshold: lambda x, dy, threshold, default_value: dy * (x > threshold),
    _linexp.exponential: lambda x, dy: dy * np.exp(x),
    _sig.hard_sigmoid: lambda x, dy: dy * _inside(x, -3, 3, 1 / 6),
    _smooth.hard_silu: _hard_silu,
    _sig.log_sigmoid: lambda x, dy: dy * _sigmoid(-x),
    _sig.sparse_sigmoid: lambda x, dy: dy * _inside(x, -1, 1, 0.5),
    _linexp.linear: lambda x, dy: dy,
    _smooth.mish: _mish,
    _axis.softmax: _softmax,
    _axis.log_softmax: _log_softmax,
    _axis.sparsemax: _sparsemax,
    _axis.glu: _glu,
}


def has_gradient(activation: Callable) -> bool:
    """Whether :func:`gradient` knows ``activation`` (every built-in does).

    Parameters
    ----------
    activation : callable
        An activation function.

    Returns
    -------
    bool
        True for the built-in activations of :mod:`convkit.activations`, False for other
        functions.

    Examples
    --------
    >>> from convkit import activations
    >>> activations.has_gradient(activations.gelu), activations.has_gradient(abs)
    (True, False)
    """
    return activation in _GRADIENTS


def gradient(activation: Callable, inputs: ArrayLike, output_gradient: ArrayLike,
             **kwargs) -> np.ndarray:
    """Gradient with respect to ``inputs`` of ``activation(inputs, **kwargs)``, given
    ``output_gradient`` (the gradient with respect to its output).

    Parameters
    ----------
    activation : callable
        A built-in activation of :mod:`convkit.activations` (``swish`` and ``hard_swish``
        included).
    inputs : array_like
        The activation's input (the pre-activation of a layer).
    output_gradient : array_like
        Shaped like the activation's output.
    **kwargs
        The activation's own arguments (``approximate=True`` for ``gelu``, ``axis``, ...).

    Returns
    -------
    numpy.ndarray
        Shaped like ``inputs``, in the dtype of ``output_gradient``'s float type.

    Raises
    ------
    NotImplementedError
        For a callable that is not a built-in activation.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import activations
    >>> activations.gradient(activations.tanh, np.zeros(2), np.ones(2))
    array([1., 1.])
    >>> activations.gradient(activations.relu, np.array([-1.0, 2.0]), np.ones(2))
    array([0., 1.])
    """
    fn = _GRADIENTS.get(activation)
    if fn is None:
        raise NotImplementedError(
            f"No gradient for the activation {getattr(activation, '__name__', activation)!r}: "
            "only convkit's built-in activations have one.")
    dy = np.asarray(output_gradient)
    dtype = dy.dtype if dy.dtype.kind == "f" and dy.dtype.itemsize >= 4 else np.float32
    x = np.asarray(inputs).astype(dtype, copy=False)
    with np.errstate(all="ignore"):
        dx = fn(x, dy.astype(dtype, copy=False), **kwargs)
    return np.asarray(dx).astype(dtype, copy=False)
