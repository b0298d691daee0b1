"""Reductions: sample weights, the ``ignore_class`` mask and the final sum or mean.

Forward and backward of the last step of Keras's loss pipeline
(``keras/src/losses/loss.py``): E·w, then a sum, or a sum divided by the **element count**
(``"sum_over_batch_size"``/``"mean"``) or by Σw (``"mean_with_sample_weight"``).
"""

from __future__ import annotations

import numpy as np

from ._shapes import squeeze_or_expand, unbroadcast

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    """Return ``reduction`` if Keras accepts it, else raise ValueError naming it.

    Parameters
    ----------
    reduction : str or None
        ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"``,
        ``"none"`` or ``None``, as in Keras.

    Returns
    -------
    str or None
        ``reduction`` itself.

    Raises
    ------
    ValueError
        For any other value; the message lists the accepted ones.

    Examples
    --------
    >>> from convkit import losses
    >>> losses.standardize_reduction("sum")
    'sum'
    """
    if reduction not in REDUCTIONS:
        raise ValueError("Invalid value for argument `reduction`. Expected one of "
                         f"{set(REDUCTIONS)}. Received: reduction={reduction}")
    return reduction


def merge_mask(sample_weight, mask, reduction, dtype):
    """Fold a boolean mask of valid entries into the sample weight, as Keras does: for the
    mean reductions a valid entry weighs size/valid so the mean runs over valid entries."""
    if mask is None:
        return None if sample_weight is None else np.asarray(sample_weight, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = dtype.type(mask.sum())
        scale = dtype.type(mask.size) / valid if valid else dtype.type(0)
        float_mask = np.where(mask, scale, dtype.type(0)).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, weight = squeeze_or_expand(float_mask, np.asarray(sample_weight, dtype))
    return weight * float_mask


class Reduced:
    """The weighted, reduced loss and what its backward pass needs."""

    def __init__(self, values: np.ndarray, weight, reduction, dtype):
        self.shape = values.shape
        self.weight = None
        self.reduction = reduction
        if weight is not None:
            values, weight = squeeze_or_expand(values, weight)
            self.weighted_shape = values.shape
            self.weight = weight
            values = values * weight
        self.values = values
        self.scale = dtype.type(1)
        self.keep = reduction in (None, "none") or values.shape in ((), (0,))
        if self.keep:
            self.result = values
            return
        total = np.sum(values, dtype=dtype)
        if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
            if reduction == "mean_with_sample_weight" and weight is not None:
                divisor = np.sum(weight, dtype=dtype)
            else:
                divisor = dtype.type(values.size)
            self.scale = dtype.type(1) / divisor if divisor else dtype.type(0)
            total = total / divisor if divisor else dtype.type(0)
        self.result = dtype.type(total)

    def backward(self) -> np.ndarray:
        """d(result summed)/d(per-sample values), in the shape the loss function returned."""
        grad = np.full(self.values.shape, self.scale, dtype=self.values.dtype)
        if self.weight is not None:
            grad = unbroadcast(grad * self.weight, self.weighted_shape)
        return grad.reshape(self.shape)
