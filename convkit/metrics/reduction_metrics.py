"""``Metric``, ``Mean`` (a running weighted mean) and ``MeanMetricWrapper``, following
``keras/src/metrics/reduction_metrics.py``: values are averaged over every axis after the
batch axis, weighted, summed into a float32 ``total`` and counted into ``count``."""

from __future__ import annotations

import numpy as np

from ..losses._shapes import squeeze_or_expand


class Metric:
    """Base class: ``update_state(...)``, ``result()``, ``reset_state()``, config.

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"None"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import Metric
    >>> Metric(name="m").get_config()
    {'name': 'm', 'dtype': 'float32'}
    """

    direction = None  # "up" or "down" where one way is better (None: unknown)

    def __init__(self, name=None, dtype=None):
        self.name = name or type(self).__name__.lower()
        self.dtype = np.dtype(dtype or "float32").name

    def reset_state(self) -> None:
        """Forget everything seen so far."""

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def samplewise(values, sample_weight, dtype):
    """Per-sample (weighted) values and per-sample weights, Keras's
    ``reduce_to_samplewise_values`` with a mean over the non-batch axes."""
    values = np.asarray(values, dtype)
    if sample_weight is not None:
        weight = np.asarray(sample_weight, dtype)
        values, weight = squeeze_or_expand(values, weight)
        if values.ndim > weight.ndim:
            values = np.mean(values, axis=tuple(range(weight.ndim, values.ndim)))
        weight = np.broadcast_to(weight, values.shape)
        values = values * weight
        if weight.ndim > 1:
            weight = np.mean(weight, axis=tuple(range(1, weight.ndim)))
        sample_weight = weight
    if values.ndim > 1:
        values = np.mean(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Mean(Metric):
    """Running weighted mean: ``total += Σ values·w``, ``count += Σ w`` (samples when
    unweighted); ``result() = total / count`` (0 before any update).

    Parameters
    ----------
    name : str, optional
        The name shown in logs (default ``"mean"``).
    dtype : str, optional
        The dtype of the result (default float32).

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> from convkit.metrics import Mean
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self) -> None:
        self.total = np.zeros((), self.dtype)
        self.count = np.zeros((), self.dtype)

    def update_state(self, values, sample_weight=None) -> None:
        values, weight = samplewise(values, sample_weight, self.dtype)
        self.total = self.total + np.sum(values, dtype=self.dtype)
        if weight is not None:
            samples = np.sum(weight, dtype=self.dtype)
        else:
            samples = values.shape[0] if values.ndim >= 1 else 1
        self.count = self.count + np.asarray(samples, self.dtype)

    def result(self):
        return self.total / self.count if self.count else np.zeros((), self.dtype)[()]


class MeanMetricWrapper(Mean):
    """``Mean`` of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample.
    name : str, optional
        The name shown in logs (default ``"None"``).
    dtype : str, optional
        The dtype of the result (default float32).
    **kwargs
        Passed to ``fn`` on every call and stored in the config.

    Raises
    ------
    ValueError
        From ``update_state``, for arrays that cannot be broadcast together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.metrics import MeanMetricWrapper
    >>> m = MeanMetricWrapper(lambda y, p: np.abs(np.subtract(y, p)), name="l1")
    >>> m.update_state([[1.0], [2.0]], [[0.0], [0.0]])
    >>> float(m.result())
    1.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self) -> dict:
        return {**super().get_config(), **self._fn_kwargs}
