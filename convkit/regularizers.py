"""Weight and activity penalties with the names, arguments, configs and serialised form of
``keras.regularizers``.

A regularizer is called on an array and returns the penalty as a Python ``float``, computed
in float64 whatever the array's dtype (Keras returns a scalar tensor in the array's dtype;
the values agree to float32 rounding).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from convkit._serialization import deserialize_object, get_object, serialize_object

__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1",
    "l1_l2", "l2", "orthogonal_regularizer", "serialize",
]

_EPSILON = 1e-7  # keras.config.epsilon(): floor of the row norms in OrthogonalRegularizer


def _validate_factor(value: Any, name: str) -> float:
    """A finite, non-negative real number (bools excluded), returned as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0
    ):
        # Keras's text, missing space included, so that tests written for Keras match.
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


def _factor(value: Any, name: str, default: float) -> float:
    """A constructor's factor: ``None`` means ``default`` (as in Keras), anything else must
    pass :func:`_validate_factor`."""
    return _validate_factor(default if value is None else value, name)


def _float32(value: float) -> float:
    # Keras keeps L1.l1 and OrthogonalRegularizer.factor as float32 tensors, which shows
    # in their configs (0.01 -> 0.009999999776482582) and in the penalty.
    return float(np.float32(value))


def _flat64(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _l1_gradient(w: np.ndarray, l1: float) -> np.ndarray:
    # |x|'s derivative is taken as +1 at 0, as jax's is (zero-initialised biases sit there)
    one = w.dtype.type(1)
    return np.where(w >= 0, one, -one) * w.dtype.type(l1)


def _l2_gradient(w: np.ndarray, l2: float) -> np.ndarray:
    return w * w.dtype.type(2 * l2)


class Regularizer:
    """Base class: subclasses implement ``__call__(x) -> float`` and ``get_config``.

    The base penalty is 0. ``from_config`` calls the constructor with the config.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.regularizers import Regularizer
    >>> class SumOfSquares(Regularizer):
    ...     def __init__(self, factor=1.0):
    ...         self.factor = factor
    ...     def __call__(self, x):
    ...         return self.factor * float(np.sum(np.square(x)))
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> SumOfSquares(0.5)(np.ones((2, 2)))
    2.0
    """

    def __call__(self, x: ArrayLike) -> float:
        return 0.0

    def gradient(self, x: ArrayLike) -> np.ndarray:
        """d(penalty)/dx, shaped and typed like ``x`` (what a training step adds to the
        weight's gradient)."""
        raise NotImplementedError(f"{type(self).__name__} has no gradient: it cannot be "
                                  "used in training yet.")

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a dict."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Build a regularizer from the output of :meth:`get_config`."""
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``; a term whose factor is 0 is skipped.

    The string identifiers ``"l1l2"``/``"L1L2"`` give ``L1L2(0.0, 0.0)`` (both factors 0),
    as in Keras.

    Parameters
    ----------
    l1, l2 : float, default 0.0
        The factors of the two terms (non-negative).

    Raises
    ------
    ValueError
        For a factor that is not a non-negative number (the message names it).

    Examples
    --------
    >>> from convkit.regularizers import L1L2
    >>> L1L2(l1=0.5, l2=0.25)([1.0, -2.0])
    2.75
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _factor(l1, "l1", 0.0)
        self.l2 = _factor(l2, "l2", 0.0)

    def __call__(self, x: ArrayLike) -> float:
        w = _flat64(x)
        penalty = 0.0
        if self.l1 != 0.0:
            penalty += self.l1 * float(np.sum(np.abs(w)))
        if self.l2 != 0.0:
            penalty += self.l2 * float(w @ w)
        return penalty

    def gradient(self, x: ArrayLike) -> np.ndarray:
        w = np.asarray(x)
        return _l1_gradient(w, self.l1) + _l2_gradient(w, self.l2)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``, with ``l1`` kept rounded to float32 as Keras does (see the config).

    Parameters
    ----------
    l1 : float, default 0.01
        The factor (non-negative).

    Raises
    ------
    ValueError
        For a factor that is not a non-negative number (the message names it).

    Examples
    --------
    >>> from convkit.regularizers import L1
    >>> L1(0.5)([1.0, -2.0])
    1.5
    >>> L1().get_config()
    {'l1': 0.009999999776482582}
    """

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _float32(_factor(l1, "l1", 0.01))

    def __call__(self, x: ArrayLike) -> float:
        return self.l1 * float(np.sum(np.abs(_flat64(x))))

    def gradient(self, x: ArrayLike) -> np.ndarray:
        return _l1_gradient(np.asarray(x), self.l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (no factor 1/2).

    Parameters
    ----------
    l2 : float, default 0.01
        The factor (non-negative).

    Raises
    ------
    ValueError
        For a factor that is not a non-negative number (the message names it).

    Examples
    --------
    >>> from convkit.regularizers import L2
    >>> L2(0.5)([1.0, -2.0])
    2.5
    """

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _factor(l2, "l2", 0.01)

    def __call__(self, x: ArrayLike) -> float:
        w = _flat64(x)
        return self.l2 * float(w @ w)

    def gradient(self, x: ArrayLike) -> np.ndarray:
        return _l2_gradient(np.asarray(x), self.l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalise non-orthogonal rows (``mode="rows"``) or columns of a 2-D weight.

    After scaling each row (column) to unit L2 norm, the penalty is
    ``factor * 0.5 * sum(|off-diagonal Gram entries|) / (n * (n - 1) / 2)``, i.e.
    ``factor`` times the mean absolute cosine between distinct rows (columns). With a single
    row (column) there is no pair and the penalty is 0 (Keras divides by zero: NaN).
    ``factor`` is kept rounded to float32, as in Keras.

    Parameters
    ----------
    factor : float, default 0.01
        The penalty's factor (non-negative).
    mode : {"rows", "columns"}, default "rows"
        Whether the rows or the columns should be orthogonal.

    Raises
    ------
    ValueError
        On input that is not 2-D (conv kernels included), as Keras does.

    Examples
    --------
    >>> from convkit.regularizers import OrthogonalRegularizer
    >>> OrthogonalRegularizer(factor=1.0)([[1.0, 0.0], [1.0, 0.0]])  # parallel rows
    1.0
    >>> OrthogonalRegularizer(factor=1.0)([[1.0, 0.0], [0.0, 3.0]])  # orthogonal rows
    0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _float32(_validate_factor(factor, "factor"))
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, x: ArrayLike) -> float:
        w = np.asarray(x, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={w.shape}"
            )
        if self.mode == "columns":
            w = w.T
        n = w.shape[0]
        if n < 2:
            return 0.0
        # Keras's normalisation x * min(1 / ||x||, 1 / eps): zero rows stay zero.
        norms = np.sqrt(np.sum(np.square(w), axis=1, keepdims=True))
        unit = w / np.maximum(norms, _EPSILON)
        gram = np.abs(unit @ unit.T)
        off_diagonal = float(np.sum(gram)) - float(np.trace(gram))
        return self.factor * 0.5 * off_diagonal / (n * (n - 1) / 2.0)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


# Keras's Python-level aliases (the *strings* "l1_l2" and "orthogonal" are not accepted by
# `get`, as in Keras).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES: dict[str, type] = {
    cls.__name__: cls for cls in (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
}
_OBJECTS: dict[str, type] = {
    **_CLASSES,
    "regularizer": Regularizer, "l1": L1, "l2": L2, "l1l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    """Return ``{'module': 'keras.regularizers', 'class_name', 'config',
    'registered_name'}``, the dict ``keras.regularizers.serialize`` produces.

    Parameters
    ----------
    regularizer : Regularizer
        A built-in or custom regularizer.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object that is neither a regularizer nor a function (None, names and numbers
        come back unchanged, as from Keras).

    Examples
    --------
    >>> from convkit import regularizers
    >>> regularizers.serialize(regularizers.L2())
    {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.01}, \
'registered_name': None}
    """
    return serialize_object(regularizer, "keras.regularizers", _CLASSES, "regularizer")


def deserialize(config: dict[str, Any] | str) -> Regularizer:
    """Build a regularizer from :func:`serialize` output (or from a name).

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    Regularizer
        A new regularizer (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no regularizer convkit has.

    Examples
    --------
    >>> from convkit import regularizers
    >>> regularizers.deserialize({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}).l2
    0.2
    """
    return deserialize_object(config, _OBJECTS, "regularizer")


def get(identifier: Any) -> Any:
    """Resolve a ``*_regularizer`` argument the way Keras layers do.

    ``None`` → ``None``; ``"l1"``/``"L1"``, ``"l2"``/``"L2"``, ``"l1l2"``/``"L1L2"``,
    ``"orthogonal_regularizer"``/``"OrthogonalRegularizer"`` (case-sensitive) or a
    serialised dict → a new instance with default factors; a class → an instance; a
    regularizer or any callable → itself.

    Parameters
    ----------
    identifier : str, dict, Regularizer or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Regularizer
        The regularizer.

    Raises
    ------
    ValueError
        ``"Could not interpret regularizer identifier: <identifier>"`` (also for
        ``"l1_l2"``, which Keras does not accept either).

    Examples
    --------
    >>> from convkit import regularizers
    >>> regularizers.get("l2").get_config()
    {'l2': 0.01}
    """
    return get_object(identifier, _OBJECTS, "regularizer")
