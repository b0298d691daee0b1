"""Keras-named metrics for ``compile``/``fit``: ``update_state``, ``result``, ``reset_state``.

Examples
--------
>>> import numpy as np
>>> from convkit import metrics
>>> m = metrics.get("mae")
>>> m.update_state(np.zeros((2, 1)), np.array([[1.0], [3.0]]))
>>> float(m.result()), m.name
(2.0, 'mean_absolute_error')
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping

from .._serialization import config_dict, from_config_dict, function_dict, is_plain_value
from ..losses._shapes import classification_kind
from .classes import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteError,
    MeanSquaredError,
    SparseCategoricalAccuracy,
)
from .functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
)
from .reduction_metrics import Mean, MeanMetricWrapper, Metric

_CLASSES = (Mean, MeanMetricWrapper, MeanSquaredError, MeanAbsoluteError, Accuracy,
            BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy)


def _snake(name: str) -> str:
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_FUNCTIONS = {fn.__name__: fn for fn in (accuracy, binary_accuracy, categorical_accuracy,
                                         sparse_categorical_accuracy)}

#: The names ``get`` accepts: class names, their snake case, and Keras's short aliases.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({"mse": MeanSquaredError, "MSE": MeanSquaredError,
                         "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError})


def serialize(metric) -> dict:
    """A Keras-style dict for a metric object, or the function's name for a metric function
    (how a ``compile_config`` stores them).

    Parameters
    ----------
    metric : Metric or callable
        A built-in or custom metric.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object that is not a metric or a function (None, names and numbers come back
        unchanged, as from Keras).

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.serialize(metrics.BinaryAccuracy(threshold=0.3))["config"]["threshold"]
    0.3
    """
    if is_plain_value(metric):
        return metric
    if isinstance(metric, Metric):
        return config_dict(metric, "keras.metrics")
    return function_dict(metric, "keras.metrics", "metric")


def get(identifier):
    """Keras's ``metrics.get``: a name -> a new metric; a dict -> ``from_config``; a metric
    or function passes through. ``"acc"`` is not a name here (see ``resolve``).

    Parameters
    ----------
    identifier : str, dict, Metric or callable or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Metric or callable
        The metric.

    Raises
    ------
    ValueError
        For an identifier that names no metric.

    Examples
    --------
    >>> from convkit import metrics
    >>> metrics.get("binary_accuracy").get_config()
    {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.5}
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping) and identifier.get("class_name") == "function":
        return get(_FUNCTIONS.get(identifier.get("config"), identifier.get("config")))
    if isinstance(identifier, Mapping):
        return from_config_dict(ALL_OBJECTS_DICT.get(identifier.get("class_name")), identifier,
                                "metric")
    obj = ALL_OBJECTS_DICT.get(identifier) if isinstance(identifier, str) else identifier
    if isinstance(obj, Metric):
        return obj
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret metric identifier: {identifier}")


def resolve(identifier, y_true, y_pred) -> Metric:
    """What ``compile`` makes of a metric entry, from the first batch's arrays.

    ``"accuracy"``/``"acc"`` (any case) become BinaryAccuracy when ``y_pred``'s last axis
    is 1 (thresholding at 0.5, logits too), SparseCategoricalAccuracy when ``y_true`` has
    lower rank or a last axis of 1 against a wider ``y_pred``, else CategoricalAccuracy;
    the metric is named by the string given. Any other string is ``get``, renamed to that
    string; a function is wrapped in ``MeanMetricWrapper``.

    Parameters
    ----------
    identifier : str, callable or object
        A name as Keras spells it (``"mse"``, ``"accuracy"``...), a function, or an object.
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
    >>> import numpy as np
    >>> from convkit import metrics
    >>> m = metrics.resolve("acc", np.zeros(4), np.zeros((4, 3)))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
    """
    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    if str(identifier).lower() in ("accuracy", "acc"):
        kind = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,
                "categorical": CategoricalAccuracy}[classification_kind(y_true, y_pred)]
        metric = kind(name=str(identifier))
    else:
        metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


__all__ = ["Metric", "Mean", "MeanMetricWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "get", "resolve", "serialize", "ALL_OBJECTS_DICT"]
