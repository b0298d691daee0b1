"""The :class:`Initializer` base class, the seed handling every random initializer shares
and the shape/dtype argument helpers.

Part of :mod:`convkit.initializers`, whose docstring states the seed rules.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit.utils import _next_seed

__all__ = ["Initializer"]


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _dtype(dtype: DTypeLike, owner: object = None) -> np.dtype:
    """``None`` → float32; with ``owner`` (random initializers) only float dtypes pass."""
    dt = np.dtype("float32" if dtype is None else dtype)
    if owner is not None and dt.kind != "f":
        raise ValueError(
            f"{type(owner).__name__} only produces floating-point values. "
            f"Received: dtype={dt}"
        )
    return dt


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python numbers and lists, for JSON-friendly configs."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    return value


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``.

    ``get_config`` returns the constructor arguments and ``from_config`` calls the
    constructor with them, so a subclass whose config keys are its argument names needs
    nothing more.

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.initializers import Initializer
    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 0.5, dtype=dtype or "float32")
    >>> Halves()((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        raise NotImplementedError(
            "Initializer subclasses must implement the `__call__()` method."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Build an initializer from the output of :meth:`get_config`."""
        return cls(**config)

    def clone(self) -> Initializer:
        """Return a new initializer with the same config."""
        return self.__class__.from_config(self.get_config())


class _RandomInitializer(Initializer):
    """Holds the seed logic shared by every random initializer."""

    def __init__(self, seed: int | np.random.Generator | None = None) -> None:
        if seed is None:
            self._seed: int | np.random.Generator = _next_seed()
        elif isinstance(seed, np.random.Generator):
            self._seed = seed
        elif isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
            seed = int(seed)
            self._seed = seed
        else:
            raise ValueError(
                "`seed` argument should be an integer, a `numpy.random.Generator` or "
                f"None. Received: seed={seed!r}"
            )
        self._init_seed = seed

    @property
    def seed(self) -> int | np.random.Generator:
        """The seed in use: the one given, or the one drawn at construction for ``None``
        (as Keras's ``seed`` attribute). ``get_config`` keeps the given value."""
        return self._seed

    def _rng(self) -> np.random.Generator:
        if isinstance(self._seed, np.random.Generator):
            return self._seed
        # Negative seeds (valid in Keras) are read as 64-bit two's complement.
        return np.random.default_rng(self._seed % 2**64 if self._seed < 0 else self._seed)

    def get_config(self) -> dict[str, Any]:
        # A Generator seed is returned as is: usable by from_config, not JSON.
        return {"seed": self._init_seed}
