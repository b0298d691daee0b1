"""Initializers scaled to the weight's fans: ``VarianceScaling`` (with :func:`compute_fans`,
Keras's fan rule) and its Glorot, He and LeCun presets.

A module of its own because these share one rule, a variance of ``scale / fan``, and the
presets only fix its three arguments; the fixed-parameter distributions are in
:mod:`~convkit.initializers.random_distributions`.

Part of :mod:`convkit.initializers`, whose docstring states the seed rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from convkit.initializers.base import _dtype, _RandomInitializer, _shape
from convkit.initializers.random_distributions import _TRUNCATED_STD, _truncated_unit_normal

__all__ = [
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "VarianceScaling", "compute_fans",
]


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight shape, by Keras's rule.

    With both ``input_axes`` and ``output_axes``, the fans are the products of those axes'
    sizes. Otherwise: rank 0 → (1, 1); rank 1 → (n, n); rank 2 → (rows, cols); higher
    ranks are convolution kernels ``(*kernel, in, out)``: both fans are multiplied by the
    kernel's spatial size. For transposed-conv kernels ``(*kernel, filters, channels)`` this
    gives fan_in = k·filters, fan_out = k·channels, exactly as Keras does.

    Parameters
    ----------
    shape : sequence of int
        The weight's shape.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Raises
    ------
    IndexError
        If ``input_axes``/``output_axes`` name axes ``shape`` does not have.

    Examples
    --------
    >>> from convkit.initializers import compute_fans
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Distribution scaled to the weight's fans: variance ``scale / n``, where ``n`` is
    ``fan_in``, ``fan_out`` or their mean (``mode``), each at least 1.

    ``distribution="truncated_normal"`` (alias ``"normal"``) draws a normal truncated at two
    standard deviations whose std is first divided by 0.8796…, so the truncated values
    have the target variance; ``"untruncated_normal"`` a plain normal; ``"uniform"``
    ``U(-limit, limit)``, ``limit = sqrt(3 * scale / n)``. ``input_axes``/``output_axes``
    override the fan computation (see :func:`compute_fans`).

    Parameters
    ----------
    scale : float, default 1.0
        Scaling factor (positive).
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan the variance is divided by.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        The distribution drawn from.
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import VarianceScaling
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=1)
    >>> bool(abs(init((50, 10))).max() <= (3 * 2.0 / 50) ** 0.5)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | np.random.Generator | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if not scale > 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}"
            )
        if mode not in _MODES:
            raise ValueError(
                f"Invalid `mode` argument: {mode}. Please use one of "
                "{'fan_in', 'fan_out', 'fan_avg'}"
            )
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. Please use one of "
                "{'uniform', 'truncated_normal', 'untruncated_normal'}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Sequence[int], dtype: DTypeLike = None) -> np.ndarray:
        dt = _dtype(dtype, self)
        shape = _shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, n[self.mode])
        rng = self._rng()
        if self.distribution == "truncated_normal":
            std = math.sqrt(variance) / _TRUNCATED_STD
            values = _truncated_unit_normal(rng, shape) * std
        elif self.distribution == "untruncated_normal":
            values = rng.standard_normal(shape) * math.sqrt(variance)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dt)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only ``seed`` and the fan axes are arguments."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(
        self,
        seed: int | np.random.Generator | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": self._init_seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-L, L)``, ``L = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of every convkit layer.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import GlorotUniform
    >>> w = GlorotUniform(seed=0)((5, 5, 32, 64))
    >>> bool(abs(w).max() <= (6 / (25 * 32 + 25 * 64)) ** 0.5)
    True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal, std ``sqrt(2 / (fan_in + fan_out))``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import GlorotNormal
    >>> GlorotNormal(seed=0)((3, 3, 8, 8)).shape
    (3, 3, 8, 8)
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal, std ``sqrt(2 / fan_in)``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import HeNormal
    >>> HeNormal(seed=0)((3, 3, 8, 8)).dtype
    dtype('float32')
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``U(-L, L)``, ``L = sqrt(6 / fan_in)``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import HeUniform
    >>> bool(abs(HeUniform(seed=0)((24, 4))).max() <= 0.5)
    True
    """

    _preset = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal, std ``sqrt(1 / fan_in)`` (pairs with ``selu``).

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import LecunNormal
    >>> LecunNormal(seed=0)((4, 2), dtype="float64").dtype
    dtype('float64')
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U(-L, L)``, ``L = sqrt(3 / fan_in)``.

    Parameters
    ----------
    seed : int, numpy.random.Generator or None, default None
        An int gives the same values at every call with the same shape; ``None`` draws an
        int seed from convkit's global generator when the initializer is made
        (:func:`convkit.utils.set_random_seed` makes that repeatable); a Generator draws new
        values at every call.
    input_axes, output_axes : sequence of int, optional
        Which kernel axes count as inputs and outputs for the fans (Keras's convention:
        the last axis is the output, the one before it the input).

    Raises
    ------
    ValueError
        For an argument Keras rejects (an unknown ``mode`` or ``distribution``, a bool
        seed...), and when called, for a shape the initializer cannot fill (``Identity``
        and ``Orthogonal`` need at least two dimensions).

    Examples
    --------
    >>> from convkit.initializers import LecunUniform
    >>> bool(abs(LecunUniform(seed=0)((12, 4))).max() <= 0.5)
    True
    """

    _preset = (1.0, "fan_in", "uniform")
