"""Regression losses on the error e = y_pred - y_true, averaged over the last axis:
MeanSquaredError, MeanAbsoluteError, Huber, LogCosh (``keras/src/losses/losses.py``)."""

from __future__ import annotations

import numpy as np

from ._shapes import squeeze_or_expand, unbroadcast
from .base import LossFunctionWrapper, function_inputs, loss_function


def _error_kernel(per_element, derivative):
    """Build ``values_and_vjp`` for a loss ``mean(per_element(e), axis=-1)``."""

    def values_and_vjp(y_true, y_pred, **kwargs):
        y_true, y_pred = squeeze_or_expand(y_true, y_pred)
        error = y_pred - y_true
        count = error.shape[-1] if error.ndim else 1
        values = np.mean(per_element(error, **kwargs), axis=-1)

        def vjp(cotangent):
            local = derivative(error, **kwargs) / error.dtype.type(count)
            return unbroadcast(local * np.expand_dims(cotangent, -1), y_pred.shape)

        return values, vjp, None

    return values_and_vjp


def _softplus(x):
    return np.logaddexp(x.dtype.type(0), x)


def _huber(e, delta=1.0):
    delta = e.dtype.type(delta)
    half = e.dtype.type(0.5)
    return np.where(np.abs(e) <= delta, half * e * e, delta * np.abs(e) - half * delta * delta)


def _huber_derivative(e, delta=1.0):
    delta = e.dtype.type(delta)
    return np.where(np.abs(e) <= delta, e, delta * np.sign(e))


def _log_cosh(e):
    return e + _softplus(e * e.dtype.type(-2.0)) - e.dtype.type(np.log(2.0))


# d|e|/de at e = 0 is taken as 1, the subgradient jax's abs uses.
_mse = _error_kernel(lambda e: e * e, lambda e: e * e.dtype.type(2))
_mae = _error_kernel(np.abs, lambda e: np.where(e >= 0, e.dtype.type(1), e.dtype.type(-1)))
_huber_kernel = _error_kernel(_huber, _huber_derivative)
_log_cosh_kernel = _error_kernel(_log_cosh, np.tanh)


@loss_function(_mse)
def mean_squared_error(y_true, y_pred):
    """Per-sample mean of (y_pred - y_true)² over the last axis.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        One loss per sample (the last axis reduced), float32 unless an input is float64.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    array([0.5, 0.5])
    """
    return _mse(*function_inputs(y_true, y_pred))[0]


@loss_function(_mae)
def mean_absolute_error(y_true, y_pred):
    """Per-sample mean of ``|y_pred - y_true|`` over the last axis.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        One loss per sample (the last axis reduced), float32 unless an input is float64.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    array([1.5])
    """
    return _mae(*function_inputs(y_true, y_pred))[0]


@loss_function(_huber_kernel)
def huber(y_true, y_pred, delta=1.0):
    """Per-sample mean Huber loss: ``½e²`` where ``|e| ≤ delta``, ``delta·|e| - ½delta²``
    beyond.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).
    delta : float, default 1.0
        Where the loss changes from quadratic to linear.

    Returns
    -------
    numpy.ndarray
        One loss per sample (the last axis reduced), float32 unless an input is float64.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.huber([[0.0, 0.0]], [[0.5, 2.0]])  # (0.5 ** 2 / 2 + (2 - 0.5)) / 2
    array([0.8125])
    """
    return _huber_kernel(*function_inputs(y_true, y_pred), delta=delta)[0]


@loss_function(_log_cosh_kernel)
def log_cosh(y_true, y_pred):
    """Per-sample mean of log(cosh(e)), computed as e + softplus(-2e) - log 2.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        One loss per sample (the last axis reduced), float32 unless an input is float64.

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.log_cosh([[0.0]], [[1.0]])
    array([0.43378083])
    """
    return _log_cosh_kernel(*function_inputs(y_true, y_pred))[0]


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (``"mse"``).

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"mean_squared_error"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import MeanSquaredError
    >>> y, p = np.zeros((2, 2)), np.array([[1.0, 2.0], [0.0, -1.0]], "float32")
    >>> float(MeanSquaredError()(y, p))
    1.5
    >>> MeanSquaredError().gradient(y, p)
    array([[ 0.5,  1. ],
           [ 0. , -0.5]], dtype=float32)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (``"mae"``).

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"mean_absolute_error"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import MeanAbsoluteError
    >>> float(MeanAbsoluteError()(np.zeros((2, 2)), np.array([[1.0, 2.0], [0.0, -1.0]])))
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss, quadratic for ``|e| ≤ delta`` and linear beyond.

    ``get_config`` adds ``delta`` to Keras's keys (Keras 3.15 leaves it out, so its
    round trip resets delta to 1.0).

    Parameters
    ----------
    delta : float, default 1.0
        Where the loss changes from quadratic to linear.
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"huber_loss"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import Huber
    >>> float(Huber(delta=1.0)(np.zeros((1, 2)), np.array([[0.5, 3.0]], "float32")))
    1.3125
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class LogCosh(LossFunctionWrapper):
    """Mean of log(cosh(e)); its gradient is tanh(e) / last-axis length.

    Parameters
    ----------
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"log_cosh"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import LogCosh
    >>> round(float(LogCosh()(np.zeros((1, 1)), np.ones((1, 1), "float32"))), 6)
    0.433781
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)
