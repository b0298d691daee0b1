"""Learning-rate schedules, called with the optimizer's iteration count *before* the step
(the first batch sees step 0), computed in float32 as Keras does
(``keras/src/optimizers/schedules/learning_rate_schedule.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .._serialization import config_dict, is_plain_value, require_config

_F32 = np.float32


def _check_decay_steps(decay_steps) -> None:
    if decay_steps <= 0:
        raise ValueError("Argument `decay_steps` must be > 0. "
                         f"Received: decay_steps={decay_steps}")


class LearningRateSchedule:
    """Base class: ``schedule(step)`` returns the learning rate as a float32 scalar.

    Examples
    --------
    >>> from convkit.optimizers.schedules import LearningRateSchedule
    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.5 ** int(step)
    >>> Halving()(3)
    0.125
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step).")

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} must define get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate · decay_rate ** (step / decay_steps)``; the exponent is floored
    when ``staircase``. No clamp: the rate keeps decaying.

    Examples
    --------
    >>> from convkit.optimizers.schedules import ExponentialDecay
    >>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    >>> [float(schedule(s)) for s in (0, 9, 10, 25)]
    [0.10000000149011612, 0.10000000149011612, 0.05000000074505806, 0.02500000037252903]
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        exponent = _F32(step) / _F32(self.decay_steps)
        if self.staircase:
            exponent = np.floor(exponent)
        return _F32(self.initial_learning_rate) * np.power(_F32(self.decay_rate), exponent)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay to ``alpha·lr`` over ``decay_steps`` (then flat), after an optional linear
    warmup from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``.

    Examples
    --------
    >>> from convkit.optimizers.schedules import CosineDecay
    >>> schedule = CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=2)
    >>> [round(float(schedule(s)), 4) for s in (0, 1, 2, 7, 12, 50)]
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        _check_decay_steps(decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, start):
        fraction = _F32(step) / _F32(self.decay_steps)
        cosine = _F32(0.5) * (_F32(1.0) + np.cos(_F32(math.pi) * fraction))
        return start * ((_F32(1) - _F32(self.alpha)) * cosine + _F32(self.alpha))

    def __call__(self, step):
        lr0 = _F32(self.initial_learning_rate)
        if self.warmup_target is None:
            return self._decay(min(float(step), float(self.decay_steps)), lr0)
        step = min(float(step), float(self.warmup_steps + self.decay_steps))
        if step < self.warmup_steps:
            ramp = (_F32(self.warmup_target) - lr0) * (_F32(step) / _F32(self.warmup_steps))
            return lr0 + ramp
        return self._decay(step - self.warmup_steps, _F32(self.warmup_target))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while step ≤ ``boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1]`` < step ≤ ``boundaries[i]``, ``values[-1]`` after the last boundary.

    Examples
    --------
    >>> from convkit.optimizers.schedules import PiecewiseConstantDecay
    >>> schedule = PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.25])
    >>> [float(schedule(s)) for s in range(6)]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of "
                             f"values. Received: boundaries={boundaries} of length "
                             f"{len(boundaries)}, and values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return _F32(value)
        return _F32(self.values[-1])

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in
              (ExponentialDecay, CosineDecay, PiecewiseConstantDecay)}


def serialize(schedule) -> dict:
    """The Keras dict for a schedule (as an optimizer's ``get_config`` stores it).

    Parameters
    ----------
    schedule : LearningRateSchedule
        A built-in or custom learning-rate schedule.

    Returns
    -------
    dict
        Keras's serialised form (``module``, ``class_name``, ``config``,
        ``registered_name``), the dict a ``.keras`` file holds.

    Raises
    ------
    TypeError
        For an object without ``get_config`` (not a schedule); None, names and numbers
        come back unchanged, as from Keras.

    Examples
    --------
    >>> from convkit.optimizers import schedules
    >>> schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.5))["module"]
    'keras.optimizers.schedules'
    """
    if is_plain_value(schedule):
        return schedule
    require_config(schedule, "learning-rate schedule")
    return config_dict(schedule, "keras.optimizers.schedules")


def deserialize(config):
    """Rebuild a schedule from a ``serialize`` dict.

    Parameters
    ----------
    config : dict or str
        What :func:`serialize` (or Keras) wrote, or a name.

    Returns
    -------
    LearningRateSchedule
        A new learning-rate schedule (a function for built-in functions).

    Raises
    ------
    ValueError
        For a config or name that describes no learning-rate schedule convkit has.

    Examples
    --------
    >>> from convkit.optimizers import schedules
    >>> schedules.deserialize(schedules.serialize(schedules.CosineDecay(0.1, 5))).decay_steps
    5
    """
    if isinstance(config, Mapping) and config.get("class_name") in _SCHEDULES:
        return _SCHEDULES[config["class_name"]].from_config(dict(config.get("config") or {}))
    raise ValueError(f"Could not interpret learning rate schedule: {config}")
