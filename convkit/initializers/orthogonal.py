"""``Orthogonal``: an orthogonal matrix (times ``gain``) from the QR decomposition of a
normal sample.

A module of its own because it fills a weight with a structure (orthonormal rows or
columns), not with independent draws as the other random initializers do.

Part of :mod:`convkit.initializers`, whose docstring states the seed rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit.initializers.base import _dtype, _RandomInitializer, _shape

__all__ = ["Orthogonal"]


class Orthogonal(_RandomInitializer):
    """Orthogonal matrix (times ``gain``) from the QR decomposition of a normal sample.

    A shape ``(..., n)`` is treated as a matrix of ``prod(shape[:-1])`` rows and ``n``
    columns: the rows are orthonormal if there are fewer rows than columns, the columns
    otherwise. Needs rank >= 2.

    Parameters
    ----------
    gain : float, default 1.0
        Multiplies the result.
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.initializers import Orthogonal
    >>> q = Orthogonal(seed=0)((4, 4), dtype="float64")
    >>> bool(np.allclose(q.T @ q, np.eye(4)))
    True
    """

    def __init__(
        self, gain: float = 1.0, seed: int | np.random.Generator | None = None
    ) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        shape = _shape(shape)
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dt = _dtype(dtype, self)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # make the decomposition unique: uniform over O(n)
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}
