"""Constructor arguments of the explorers, checked before any widget exists.

A slider would clamp ``size=-1`` to its minimum and a dropdown would raise a traitlets
``TraitError`` for an unknown option; a learner calling ``BackpropExplorer(padding="full")``
should instead read a ``ValueError`` naming the argument and what it accepts, as the layers do.
"""

from __future__ import annotations

import numbers


def check_choice(name: str, value, options) -> None:
    """ValueError naming ``name`` unless ``value`` is one of ``options``."""
    if value not in tuple(options):
        raise ValueError(f"`{name}` must be one of {tuple(options)}. Received: {value!r}")


def check_int(name: str, value, low: int, high: int) -> None:
    """TypeError for a non-integer, ValueError outside ``low..high`` (the control's range)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer from {low} to {high}. "
                        f"Received: {value!r} of type {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"`{name}` must be an integer from {low} to {high} (the range its "
                         f"slider offers). Received: {value}")
