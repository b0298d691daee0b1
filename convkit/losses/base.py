"""``Loss``: Keras's call pipeline around a per-sample loss function, plus its gradient.

A built-in loss function ``fn(y_true, y_pred)`` returns per-sample values; its twin
``fn.values_and_vjp(y_true, y_pred, **kwargs)`` returns ``(values, vjp, mask)`` where ``vjp``
maps a cotangent on the values to one on ``y_pred`` and ``mask`` marks valid entries
(``ignore_class``) or is None. The classes are thin: arguments, config and that function.
"""

from __future__ import annotations

import re

import numpy as np

from ._shapes import as_float, compute_dtype, squeeze_or_expand
from .reduction import Reduced, merge_mask, standardize_reduction


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Loss:
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` and ``loss.gradient(...)``.

    Parameters
    ----------
    name : str, optional
        Defaults to the snake-case class name.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How per-sample values become the result. The mean reductions divide by the element
        count of the weighted values, not by Σ sample_weight.
    dtype : str, optional
        Compute dtype. None: float64 when ``y_pred`` is float64, else float32.

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import LossFunctionWrapper, mean_absolute_error
    >>> loss = LossFunctionWrapper(mean_absolute_error, reduction="sum")
    >>> float(loss(np.zeros((2, 2)), np.ones((2, 2), "float32")))
    2.0
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self.dtype = None if dtype is None else np.dtype(dtype).name

    def values_and_vjp(self, y_true, y_pred):
        """Per-sample values, their vector-Jacobian product w.r.t. ``y_pred``, valid mask."""
        raise NotImplementedError(f"{type(self).__name__} must define values_and_vjp.")

    def _run(self, y_true, y_pred, sample_weight):
        dtype = compute_dtype(y_pred, self.dtype)
        pred = as_float(y_pred, dtype)
        true, squeezed = squeeze_or_expand(as_float(y_true, dtype), pred)
        values, vjp, mask = self.values_and_vjp(true, squeezed)
        weight = merge_mask(sample_weight, mask, self.reduction, dtype)
        return Reduced(np.asarray(values, dtype), weight, self.reduction, dtype), vjp, pred

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss (a NumPy scalar; an array for ``reduction="none"``)."""
        return self._run(y_true, y_pred, sample_weight)[0].result

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        """dL/dy_pred, shaped like ``y_pred`` (for ``reduction="none"``: of the sum)."""
        return self.value_and_gradient(y_true, y_pred, sample_weight)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None) -> tuple:
        """``(loss, dL/dy_pred)``: what ``__call__`` and :meth:`gradient` return, from one
        evaluation of the per-sample values (a training step needs both)."""
        reduced, vjp, pred = self._run(y_true, y_pred, sample_weight)
        grad = np.asarray(vjp(reduced.backward()), pred.dtype).reshape(pred.shape)
        return reduced.result, grad

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a loss function (Keras's ``LossFunctionWrapper``).

    ``fn`` must be one of convkit's loss functions (they carry their gradient); extra keyword
    arguments are passed to it.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample.
    reduction : str or None, default "sum_over_batch_size"
        How per-sample losses are combined into one number, as in Keras:
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None`` (one loss per sample).
    name : str, optional
        The name shown in logs (default ``"None"``).
    dtype : str, optional
        The dtype of the result (default float32).
    **kwargs
        Passed to ``fn`` on every call and stored in the config.

    Raises
    ------
    ValueError
        For an unknown ``reduction``, and, when called, for arrays that cannot be broadcast
        together or hold text.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.losses import LossFunctionWrapper, huber
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> float(loss([[0.0, 0.0]], np.array([[2.0, 0.2]], "float32")))
    0.44749999046325684
    >>> loss.gradient([[0.0, 0.0]], np.array([[2.0, 0.2]], "float32"))
    array([[0.25, 0.1 ]], dtype=float32)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if not callable(getattr(fn, "values_and_vjp", None)):
            raise TypeError(f"LossFunctionWrapper needs one of convkit's loss functions (they "
                            f"carry their gradient). Received: fn={fn!r}")
        super().__init__(name=name or fn.__name__, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def values_and_vjp(self, y_true, y_pred):
        return self.fn.values_and_vjp(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config.update({"fn": self.fn.__name__, **self._fn_kwargs})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("fn"), str):
            from . import ALL_OBJECTS_DICT

            config["fn"] = ALL_OBJECTS_DICT[config["fn"]]
        return cls(**config)


def loss_function(values_and_vjp):
    """Make the public per-sample function (Keras's function form) from a kernel."""

    def decorate(fn):
        fn.values_and_vjp = values_and_vjp
        return fn

    return decorate


def function_inputs(y_true, y_pred, squeeze=True):
    """The function forms' intake: y_pred's float dtype (float32 for non-floats), y_true
    cast to it, then (for the regression losses) the rank squeeze/expand."""
    pred = np.asarray(y_pred)
    dtype = pred.dtype if pred.dtype.kind == "f" else np.dtype("float32")
    pred = pred.astype(dtype, copy=False)
    true = np.asarray(y_true, dtype)
    return squeeze_or_expand(true, pred) if squeeze else (true, pred)
