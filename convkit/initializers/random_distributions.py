"""Random initializers with fixed parameters: ``RandomNormal``, ``TruncatedNormal`` and
``RandomUniform`` draw from a distribution whose mean, spread or bounds are given, whatever
the weight's shape (and the truncated unit normal ``VarianceScaling`` draws from too).

A module of its own because these ignore the weight's fans; the fan-scaled family is in
:mod:`~convkit.initializers.variance_scaling`.

Part of :mod:`convkit.initializers`, whose docstring states the seed rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit.initializers.base import _dtype, _RandomInitializer, _shape

__all__ = ["RandomNormal", "RandomUniform", "TruncatedNormal"]


# Standard deviation of a unit normal truncated to [-2, 2]: dividing by it makes the
# truncated draws have the requested standard deviation.
_TRUNCATED_STD = 0.87962566103423978


def _truncated_unit_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit normal samples with every value beyond 2 standard deviations redrawn."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


class _MeanStddev(_RandomInitializer):
    """``mean + stddev * z`` for unit draws ``z`` of :meth:`_unit_draws` (the normal pair)."""

    def __init__(
        self, mean: float = 0.0, stddev: float = 0.05,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def _unit_draws(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        values = self._unit_draws(self._rng(), _shape(shape))
        return (values * self.stddev + self.mean).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomNormal(_MeanStddev):
    """Normal distribution ``N(mean, stddev**2)``.

    Parameters
    ----------
    mean : float, default 0.0
        Mean of the normal distribution.
    stddev : float, default 0.05
        Standard deviation of the normal distribution.
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
    >>> from convkit.initializers import RandomNormal
    >>> w = RandomNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(0.9 < w.std() < 1.1)
    True
    """

    def _unit_draws(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.standard_normal(shape)


class TruncatedNormal(_MeanStddev):
    """Normal ``N(mean, stddev**2)`` with values beyond two ``stddev`` redrawn.

    Parameters
    ----------
    mean : float, default 0.0
        Mean of the normal distribution.
    stddev : float, default 0.05
        Standard deviation of the normal distribution.
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
    >>> from convkit.initializers import TruncatedNormal
    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """

    def _unit_draws(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return _truncated_unit_normal(rng, shape)


class RandomUniform(_RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``.

    Parameters
    ----------
    minval : float, default -0.05
        Lower bound of the uniform distribution.
    maxval : float, default 0.05
        Upper bound of the uniform distribution.
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
    >>> from convkit.initializers import RandomUniform
    >>> w = RandomUniform(0.0, 1.0, seed=0)((1000,))
    >>> bool(w.min() >= 0.0 and w.max() < 1.0)
    True
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        return self._rng().uniform(self.minval, self.maxval, _shape(shape)).astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}
