"""Deterministic initializers: ``Constant``, ``Zeros``, ``Ones`` and ``Identity``.

Part of :mod:`convkit.initializers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit.initializers.base import Initializer, _dtype, _plain, _shape

__all__ = [
    "Constant", "Identity", "Ones", "Zeros",
]


class Constant(Initializer):
    """Fill with a constant scalar ``value``.

    Parameters
    ----------
    value : float, default 0.0
        The value of every entry.

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import Constant
    >>> Constant(3.0)((2, 2))
    array([[3., 3.],
           [3., 3.]], dtype=float32)
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.full(_shape(shape), self.value, dtype=_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"value": _plain(self.value)}


class Zeros(Initializer):
    """Fill with 0 (any numeric or bool dtype).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import Zeros
    >>> Zeros()((3,))
    array([0., 0., 0.], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.zeros(_shape(shape), dtype=_dtype(dtype))


class Ones(Initializer):
    """Fill with 1 (any numeric or bool dtype).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import Ones
    >>> Ones()((2,), dtype="int32")
    array([1, 1], dtype=int32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        return np.ones(_shape(shape), dtype=_dtype(dtype))


class Identity(Initializer):
    """``gain`` times the identity matrix; 2-D shapes only (as in Keras).

    Unlike Keras 3.15, whose config drops ``gain`` (so a saved ``Identity(2.0)`` comes back
    as ``Identity(1.0)``), the config is ``{"gain": gain}``.

    Parameters
    ----------
    gain : float, default 1.0
        Multiplies the result.

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import Identity
    >>> Identity(gain=2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _dtype(dtype)
        return (self.gain * np.eye(*shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {"gain": _plain(self.gain)}
