"""Argument checks shared by the optimizers, with Keras's messages."""

from __future__ import annotations

import numbers

import numpy as np

from . import schedules


def standardize_learning_rate(learning_rate):
    """A Python float (held as float32), a schedule or a zero-argument callable. Ints and
    NumPy scalars are rejected as Keras rejects them; negative rates are rejected too."""
    if isinstance(learning_rate, schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, np.generic)):
        return learning_rate
    if not isinstance(learning_rate, float) or isinstance(learning_rate, np.floating):
        raise ValueError("Argument `learning_rate` should be float, or an instance of "
                         "LearningRateSchedule, or a callable (that takes in the current "
                         "iteration value and returns the corresponding learning rate value). "
                         f"Received instead: learning_rate={learning_rate}")
    if not learning_rate >= 0:
        raise ValueError("Argument `learning_rate` must be a non-negative float. "
                         f"Received: learning_rate={learning_rate}")
    return float(np.float32(learning_rate))


def check_base_arguments(weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema,
                         gradient_accumulation_steps, loss_scale_factor) -> None:
    """Keras's checks on the shared arguments, plus the two features convkit leaves out."""
    if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
        raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                         f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                         f"global_clipnorm={global_clipnorm}")
    for name, value in (("weight_decay", weight_decay), ("clipnorm", clipnorm),
                        ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm),
                        ("loss_scale_factor", loss_scale_factor)):
        if value is not None and (not isinstance(value, numbers.Real) or value < 0):
            raise ValueError(f"Argument `{name}` must be a non-negative number or None. "
                             f"Received: {name}={value}")
    if use_ema:
        raise ValueError("convkit's optimizers do not implement `use_ema`. "
                         f"Received: use_ema={use_ema}")
    if gradient_accumulation_steps is not None:
        raise ValueError("convkit's optimizers do not implement gradient accumulation. "
                         f"Received: gradient_accumulation_steps={gradient_accumulation_steps}")


def check_unit_float(name: str, value) -> None:
    """``value`` must be a Python float in [0, 1] (Keras's rule for SGD's momentum)."""
    if not isinstance(value, float) or value < 0 or value > 1:
        raise ValueError(f"`{name}` must be a float between [0, 1].")
