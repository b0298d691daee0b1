"""Weight constraints with the names, arguments, configs and serialised form of
``keras.constraints``.

A constraint maps a weight array to its projection (a new array of the same shape and float
dtype). convkit applies constraints only when asked (``layer.apply_constraints()``, called by
its optimizers after each update), never at build, ``set_weights`` or call, as in Keras.

**Axis trap (Keras behaviour, kept):** the norm-based constraints default to ``axis=0``,
which on a conv kernel ``(*kernel, in, out)`` is the first *spatial* axis. Per-filter norms
need ``axis=[0, 1]`` (Conv1D), ``[0, 1, 2]`` (Conv2D) or ``[0, 1, 2, 3]`` (Conv3D);
transposed-conv kernels keep their filters on axis -2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from convkit._serialization import deserialize_object, get_object, serialize_object

from . import config

__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
    "min_max_norm", "non_neg", "serialize", "unit_norm",
]


Axis = int | Sequence[int]


def _float_array(w: ArrayLike) -> np.ndarray:
    """Float arrays as they are; anything else as float32 (Keras's default float)."""
    arr = np.asarray(w)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind not in "biu":
        raise TypeError(f"Constraints take real numbers. Received an array of dtype {arr.dtype}.")
    return arr.astype(np.float32)


def _norms(w: np.ndarray, axis: Axis) -> np.ndarray:
    """L2 norms over ``axis`` (an int or a list of ints), kept as broadcastable dims."""
    ax = axis if isinstance(axis, int) else tuple(axis)
    return np.sqrt(np.sum(np.square(w), axis=ax, keepdims=True))


class Constraint:
    """Base class: subclasses implement ``__call__(w)`` returning the projected weight.

    The base constraint returns ``w`` unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.constraints import Constraint
    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return np.clip(w, -1, 1)
    >>> Clip()(np.array([-3.0, 0.5]))
    array([-1. ,  0.5])
    """

    def __call__(self, w: ArrayLike) -> np.ndarray:
        return w  # type: ignore[return-value]

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Build a constraint from the output of :meth:`get_config`."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescale slices whose L2 norm over ``axis`` exceeds ``max_value`` down to it:
    ``w * clip(n, 0, max_value) / (eps + n)``.

    Parameters
    ----------
    max_value : float, default 2
        The largest norm allowed.
    axis : int or tuple of int, default 0
        The axes the norm is taken over: each slice along the other axes is rescaled on its own
        (for a Conv2D kernel ``(rows, cols, in, out)``, ``axis=[0, 1, 2]`` constrains each filter).

    Raises
    ------
    TypeError
        When called on complex, object or string arrays, or with an ``axis`` that is not an
        int or tuple of ints.
    numpy.exceptions.AxisError
        When called with an ``axis`` the weight does not have.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.constraints import MaxNorm
    >>> w = np.array([[3.0, 0.3], [4.0, 0.4]], dtype="float32")  # column norms 5 and 0.5
    >>> MaxNorm(max_value=1.0)(w).round(4)
    array([[0.6, 0.3],
           [0.8, 0.4]], dtype=float32)
    """

    def __init__(self, max_value: float = 2, axis: Axis = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: ArrayLike) -> np.ndarray:
        w = _float_array(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Replace negative weights by 0.

    Raises
    ------
    TypeError
        When called on complex, object or string arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.constraints import NonNeg
    >>> NonNeg()(np.array([-1.0, 2.0], dtype="float32"))
    array([0., 2.], dtype=float32)
    """

    def __call__(self, w: ArrayLike) -> np.ndarray:
        return np.maximum(_float_array(w), 0)


class UnitNorm(Constraint):
    """Scale every slice to unit L2 norm over ``axis``: ``w / (eps + n)``.

    Parameters
    ----------
    axis : int or tuple of int, default 0
        The axes the norm is taken over: each slice along the other axes is rescaled on its own
        (for a Conv2D kernel ``(rows, cols, in, out)``, ``axis=[0, 1, 2]`` constrains each filter).

    Raises
    ------
    TypeError
        When called on complex, object or string arrays, or with an ``axis`` that is not an
        int or tuple of ints.
    numpy.exceptions.AxisError
        When called with an ``axis`` the weight does not have.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.constraints import UnitNorm
    >>> UnitNorm()(np.array([[3.0], [4.0]], dtype="float32"))
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, axis: Axis = 0) -> None:
        self.axis = axis

    def __call__(self, w: ArrayLike) -> np.ndarray:
        w = _float_array(w)
        return w / (config.epsilon() + _norms(w, self.axis))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move slice norms over ``axis`` into ``[min_value, max_value]``:
    ``w * (rate * clip(n, min, max) + (1 - rate) * n) / (eps + n)``.

    ``rate=1`` enforces the bounds at once; a smaller rate moves the norms part of the way
    at each application.

    Parameters
    ----------
    min_value, max_value : float, default 0.0, 1.0
        The range of norms allowed.
    rate : float, default 1.0
        How far to move norms into the range at each application (1 = all the way).
    axis : int or tuple of int, default 0
        The axes the norm is taken over: each slice along the other axes is rescaled on its own
        (for a Conv2D kernel ``(rows, cols, in, out)``, ``axis=[0, 1, 2]`` constrains each filter).

    Raises
    ------
    TypeError
        When called on complex, object or string arrays, or with an ``axis`` that is not an
        int or tuple of ints.
    numpy.exceptions.AxisError
        When called with an ``axis`` the weight does not have.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.constraints import MinMaxNorm
    >>> w = np.array([[0.3], [0.4]], dtype="float32")  # norm 0.5, raised to 1
    >>> MinMaxNorm(min_value=1.0, max_value=2.0)(w).round(4)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
        axis: Axis = 0,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: ArrayLike) -> np.ndarray:
        w = _float_array(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * np.clip(norms, self.min_value, self.max_value)
            + (1 - self.rate) * norms
        )
        return w * (desired / (config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# Keras's Python-level aliases.
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_CLASSES: dict[str, type] = {
    cls.__name__: cls for cls in (Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
}
_OBJECTS: dict[str, type] = {
    **_CLASSES,
    "constraint": Constraint, "max_norm": MaxNorm, "non_neg": NonNeg,
    "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
}


def serialize(constraint: Constraint) -> dict[str, Any]:
    """Return ``{'module': 'keras.constraints', 'class_name', 'config',
    'registered_name'}``, the dict ``keras.constraints.serialize`` produces.

    Parameters
    ----------
    constraint : Constraint
        A built-in or custom constraint.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object that is neither a constraint nor a function (None, names and numbers
        come back unchanged, as from Keras).

    Examples
    --------
    >>> from convkit import constraints
    >>> constraints.serialize(constraints.MaxNorm())["config"]
    {'max_value': 2, 'axis': 0}
    """
    return serialize_object(constraint, "keras.constraints", _CLASSES, "constraint")


def deserialize(config: dict[str, Any] | str) -> Constraint:
    """Build a constraint from :func:`serialize` output (or from a name).

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    Constraint
        A new constraint (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no constraint convkit has.

    Examples
    --------
    >>> from convkit import constraints
    >>> constraints.deserialize({"class_name": "UnitNorm", "config": {"axis": [0, 1]}}).axis
    [0, 1]
    """
    return deserialize_object(config, _OBJECTS, "constraint")


def get(identifier: Any) -> Any:
    """Resolve a ``*_constraint`` argument the way Keras layers do.

    ``None`` → ``None``; ``"max_norm"``, ``"non_neg"``, ``"unit_norm"``,
    ``"min_max_norm"``, the class names (case-sensitive) or a serialised dict → a new
    instance with default arguments; a class → an instance; a constraint or any callable →
    itself.

    Parameters
    ----------
    identifier : str, dict, Constraint or None
        A name as Keras spells it, a dict as :func:`serialize` writes it, or an object, which is
        returned as it is.

    Returns
    -------
    Constraint
        The constraint.

    Raises
    ------
    ValueError
        ``"Could not interpret constraint identifier: <identifier>"`` (e.g. for
        ``"maxnorm"``).

    Examples
    --------
    >>> from convkit import constraints
    >>> type(constraints.get("non_neg")).__name__
    'NonNeg'
    """
    return get_object(identifier, _OBJECTS, "constraint")
