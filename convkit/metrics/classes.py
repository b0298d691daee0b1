"""The metric classes ``compile``/``fit`` need, with Keras's names and configs."""

from __future__ import annotations

from .. import losses
from . import functions
from .reduction_metrics import MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the per-sample mean squared error (``"mse"``).

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"mean_squared_error"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import MeanSquaredError
    >>> m = MeanSquaredError()
    >>> m.update_state([[0.0, 0.0]], [[1.0, 3.0]])
    >>> float(m.result()), m.name
    (5.0, 'mean_squared_error')
    """

    direction = "down"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the per-sample mean absolute error (``"mae"``).

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"mean_absolute_error"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import MeanAbsoluteError
    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0.0, 0.0]], [[1.0, -3.0]])
    >>> float(m.result())
    2.0
    """

    direction = "down"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class Accuracy(MeanMetricWrapper):
    """Fraction of predictions exactly equal to the labels.

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"accuracy"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import Accuracy
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    direction = "up"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(functions.accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of ``y_pred > threshold`` equal to the 0/1 labels.

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"binary_accuracy"``).
    dtype : str, optional
        The dtype of the result (default float32).
    threshold : float, default 0.5
        Predictions above it count as 1.

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import BinaryAccuracy
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    direction = "up"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(functions.binary_accuracy, name=name, dtype=dtype,
                         threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose argmax matches the one-hot label's argmax.

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"categorical_accuracy"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import CategoricalAccuracy
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    direction = "up"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(functions.categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose argmax equals the integer label.

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"sparse_categorical_accuracy"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import SparseCategoricalAccuracy
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    direction = "up"  # which way is better, for EarlyStopping(mode="auto")

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(functions.sparse_categorical_accuracy, name=name, dtype=dtype)
