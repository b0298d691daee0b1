"""Cross-entropies: BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy.

Probabilities are clipped to [ε, 1-ε] in the compute dtype (ε = ``convkit.config.epsilon()``);
the clip passes no gradient outside that range (½ on its edges, as jax's clip). Categorical
probabilities are renormalised first, p/Σp, and that division is differentiated too.
"""

from __future__ import annotations

import numpy as np

from .. import config
from .base import LossFunctionWrapper, function_inputs, loss_function


def _clip(p):
    """Clipped p and d(clip)/dp."""
    lo, hi = p.dtype.type(config.epsilon()), p.dtype.type(1.0 - config.epsilon())
    slope = np.where((p > lo) & (p < hi), 1.0, np.where((p == lo) | (p == hi), 0.5, 0.0))
    return np.clip(p, lo, hi), slope.astype(p.dtype)


def _sigmoid(z):
    return np.exp(-np.logaddexp(z.dtype.type(0), -z))


def _check_same_shape(y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={y_true.shape}, output.shape={y_pred.shape}")


def _bce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        y_true = y_true * y_true.dtype.type(1.0 - label_smoothing) + y_true.dtype.type(
            0.5 * label_smoothing)
    _check_same_shape(y_true, y_pred)
    one = y_pred.dtype.type(1)
    if from_logits:
        soft_pos = np.logaddexp(one * 0, -y_pred)  # -log σ(z)
        soft_neg = np.logaddexp(one * 0, y_pred)  # -log σ(-z)
        elements = y_true * soft_pos + (one - y_true) * soft_neg
        local = _sigmoid(y_pred) - y_true
    else:
        clipped, slope = _clip(y_pred)
        elements = -(y_true * np.log(clipped) + (one - y_true) * np.log(one - clipped))
        local = (-(y_true / clipped) + (one - y_true) / (one - clipped)) * slope
    count = y_pred.dtype.type(y_pred.shape[-1])

    def vjp(cotangent):
        return local / count * np.expand_dims(cotangent, -1)

    return np.mean(elements, axis=-1), vjp, None


def _categorical(labels, y_pred, from_logits):
    """-Σ labels·log q over the last axis, q = softmax(z) or clip(p/Σp); and its vjp."""
    if from_logits:
        shifted = y_pred - np.max(y_pred, axis=-1, keepdims=True)
        log_prob = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        values = -np.sum(labels * log_prob, axis=-1)
        local = np.exp(log_prob) * np.sum(labels, axis=-1, keepdims=True) - labels
    else:
        total = np.sum(y_pred, axis=-1, keepdims=True)
        normalised = y_pred / total
        clipped, slope = _clip(normalised)
        values = -np.sum(labels * np.log(clipped), axis=-1)
        upstream = -labels / clipped * slope  # d/d(normalised)
        local = (upstream - np.sum(upstream * normalised, axis=-1, keepdims=True)) / total

    def vjp(cotangent):
        return local * np.expand_dims(cotangent, -1)

    return values, vjp


def _cce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        classes = y_true.dtype.type(y_true.shape[-1])
        y_true = y_true * y_true.dtype.type(1.0 - label_smoothing) + (
            y_true.dtype.type(label_smoothing) / classes)
    _check_same_shape(y_true, y_pred)
    return (*_categorical(y_true, y_pred, from_logits), None)


def _scce(y_true, y_pred, from_logits=False, ignore_class=None):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim - 1`. "
                         f"Received: target.shape={y_true.shape}, output.shape={y_pred.shape}")
    mask = None
    if ignore_class is not None:
        mask = y_true != y_true.dtype.type(ignore_class)
        y_true = np.where(mask, y_true, 0).astype(y_true.dtype)
        # Ignored rows get a uniform stand-in so they compute without 0/0; they are zeroed.
        y_pred = np.where(mask[..., None], y_pred, y_pred.dtype.type(1)).astype(y_pred.dtype)
    labels = (y_true[..., None] == np.arange(y_pred.shape[-1])).astype(y_pred.dtype)
    values, inner = _categorical(labels, y_pred, from_logits)
    if mask is None:
        return values, inner, None

    def vjp(cotangent):
        return inner(np.where(mask, cotangent, 0).astype(cotangent.dtype))

    return np.where(mask, values, 0).astype(values.dtype), vjp, mask


@loss_function(_bce)
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample mean binary cross-entropy over the last axis.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    label_smoothing : float, default 0.0
        Moves the targets towards uniform by this fraction (between 0 and 1).
    axis : int, default -1
        The class axis.

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
    >>> losses.binary_crossentropy([[1.0, 0.0]], [[0.9, 0.2]])  # -(log 0.9 + log 0.8) / 2
    array([0.16425203])
    """
    _check_axis(axis)
    return _bce(*function_inputs(y_true, y_pred, squeeze=False), from_logits,
                label_smoothing)[0]


@loss_function(_cce)
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical cross-entropy against one-hot (or soft) labels.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    label_smoothing : float, default 0.0
        Moves the targets towards uniform by this fraction (between 0 and 1).
    axis : int, default -1
        The class axis.

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
    >>> losses.categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.1, 0.8, 0.1]])  # -log 0.8
    array([0.22314355])
    """
    _check_axis(axis)
    return _cce(*function_inputs(y_true, y_pred, squeeze=False), from_logits,
                label_smoothing)[0]


@loss_function(_scce)
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Per-sample categorical cross-entropy against integer labels.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    ignore_class : int, optional
        A label whose samples count for nothing (padding, say).
    axis : int, default -1
        The class axis.

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
    >>> losses.sparse_categorical_crossentropy([1], [[0.1, 0.8, 0.1]])  # class 1: -log 0.8
    array([0.22314355])
    """
    _check_axis(axis)
    return _scce(*function_inputs(y_true, y_pred, squeeze=False), from_logits,
                 ignore_class)[0]


def _check_axis(axis):
    if axis != -1 or isinstance(axis, bool):
        raise ValueError(f"convkit's cross-entropies reduce the last axis only. Received: "
                         f"axis={axis}")


class _CrossentropyWithSmoothing(LossFunctionWrapper):
    def __init__(self, fn, from_logits, label_smoothing, axis, reduction, name, dtype):
        _check_axis(axis)
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class BinaryCrossentropy(_CrossentropyWithSmoothing):
    """Binary cross-entropy on probabilities (clipped) or logits; labels smoothed toward ½.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    label_smoothing : float, default 0.0
        Moves the targets towards uniform by this fraction (between 0 and 1).
    axis : int, default -1
        The class axis.
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"binary_crossentropy"``).
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
    >>> from convkit.losses import BinaryCrossentropy
    >>> round(float(BinaryCrossentropy()([[1.0, 0.0]], np.array([[0.5, 0.5]], "float32"))), 6)
    0.693147
    >>> BinaryCrossentropy(from_logits=True).gradient([[1.0, 0.0]], np.zeros((1, 2), "float32"))
    array([[-0.25,  0.25]], dtype=float32)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, from_logits, label_smoothing, axis, reduction,
                         name, dtype)


class CategoricalCrossentropy(_CrossentropyWithSmoothing):
    """Categorical cross-entropy; probabilities are renormalised, then clipped.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    label_smoothing : float, default 0.0
        Moves the targets towards uniform by this fraction (between 0 and 1).
    axis : int, default -1
        The class axis.
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"categorical_crossentropy"``).
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
    >>> from convkit.losses import CategoricalCrossentropy
    >>> loss = CategoricalCrossentropy()
    >>> round(float(loss([[0.0, 1.0]], np.array([[1.0, 1.0]], "float32"))), 6)
    0.693147
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, from_logits, label_smoothing, axis,
                         reduction, name, dtype)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy against integer labels; ``ignore_class`` entries count
    neither in the sum nor (for the mean reductions) in the divisor.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (unnormalised scores) rather than probabilities.
    ignore_class : int, optional
        A label whose samples count for nothing (padding, say).
    axis : int, default -1
        The class axis.
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"sparse_categorical_crossentropy"``).
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
    >>> from convkit.losses import SparseCategoricalCrossentropy
    >>> p = np.array([[0.2, 0.3, 0.5]] * 4, "float32")
    >>> loss = SparseCategoricalCrossentropy(ignore_class=1)
    >>> round(float(loss(np.array([0, 1, 2, 1]), p)), 6)
    1.151293
    """

    def __init__(self, from_logits=False, ignore_class=None, axis=-1,
                 reduction="sum_over_batch_size", name="sparse_categorical_crossentropy",
                 dtype=None):
        _check_axis(axis)
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits, self.ignore_class = from_logits, ignore_class

    def get_config(self) -> dict:
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class}
