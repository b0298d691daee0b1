"""Per-sample metric functions: accuracy, binary/categorical/sparse-categorical accuracy
(``keras/src/metrics/accuracy_metrics.py``); 1.0 where a prediction matches, else 0.0."""

from __future__ import annotations

import numpy as np

from ..losses._shapes import squeeze_or_expand


def _float_pred(y_pred):
    pred = np.asarray(y_pred)
    return pred if pred.dtype.kind == "f" else pred.astype("float32")


def accuracy(y_true, y_pred):
    """Exact equality of ``y_true`` and ``y_pred`` (ranks squeezed/expanded first).

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        1.0 where the prediction is right, else 0.0, per sample (float32).

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.accuracy([1, 2, 3], [1, 2, 4])
    array([1., 1., 0.], dtype=float32)
    """
    pred = _float_pred(y_pred)
    true, pred = squeeze_or_expand(np.asarray(y_true, pred.dtype), pred)
    return (true == pred).astype("float32")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``y_pred > threshold`` compared with ``y_true``.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).
    threshold : float, default 0.5
        Predictions above it count as 1.

    Returns
    -------
    numpy.ndarray
        1.0 where the prediction is right, else 0.0, per sample (float32).

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.binary_accuracy([[1.0], [0.0]], [[0.7], [0.6]])
    array([[1.],
           [0.]], dtype=float32)
    """
    true, pred = squeeze_or_expand(np.asarray(y_true), np.asarray(y_pred))
    return (true == (pred > threshold).astype(true.dtype)).astype("float32")


def _match_argmax(true, pred, squeeze_needs_unit):
    original = true.shape
    reshape = true.ndim == pred.ndim and (not squeeze_needs_unit or true.shape[-1] == 1)
    if reshape:
        true = true[..., 0] if true.shape[-1] == 1 else np.squeeze(true, -1)
    matches = (true == np.argmax(pred, axis=-1).astype(true.dtype)).astype("float32")
    return matches.reshape(original) if reshape else matches


def categorical_accuracy(y_true, y_pred):
    """argmax(y_true) == argmax(y_pred) over the last axis.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        1.0 where the prediction is right, else 0.0, per sample (float32).

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    pred = _float_pred(y_pred)
    true = np.argmax(np.asarray(y_true), axis=-1).astype(pred.dtype)
    return _match_argmax(true, pred, squeeze_needs_unit=False)


def sparse_categorical_accuracy(y_true, y_pred):
    """Integer label == argmax(y_pred); a trailing label axis of 1 is squeezed.

    Parameters
    ----------
    y_true : array_like
        Targets.
    y_pred : array_like
        Predictions, the shape of ``y_true`` (class scores for the categorical forms).

    Returns
    -------
    numpy.ndarray
        1.0 where the prediction is right, else 0.0, per sample (float32).

    Raises
    ------
    ValueError
        If ``y_true`` and ``y_pred`` cannot be broadcast together, or hold text.

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    array([1., 0.], dtype=float32)
    """
    pred = _float_pred(y_pred)
    matches = _match_argmax(np.asarray(y_true, pred.dtype), pred, squeeze_needs_unit=True)
    return matches[..., 0] if matches.ndim > 1 and matches.shape[-1] == 1 else matches
