"""What every scene shares: the error a banner shows, number formatting, op calls."""

import numpy as np

# Scenes hold (…, channels) arrays, so every op and layer they call is told so: a session that
# set convkit.config.set_image_data_format("channels_first") must not reinterpret them.
CHANNELS_LAST = {"data_format": "channels_last"}


class SceneError(ValueError):
    """An impossible setting: the op's own message plus a plain sentence for the banner.

    Parameters
    ----------
    message : str
        The text of convkit's ``ValueError`` (or the layer rule that would raise it).
    explanation : str
        One plain sentence saying why, for a learner.

    Examples
    --------
    >>> e = SceneError("Computed output size would be zero", "The window is wider than the input.")
    >>> e.explanation
    'The window is wider than the input.'
    """

    def __init__(self, message: str, explanation: str):
        super().__init__(message)
        self.message = message
        self.explanation = explanation


class CaptionedScene:
    """Base of the scene dataclasses: a screen reader gets the same words as the caption."""

    @property
    def aria_label(self) -> str:
        """Screen-reader text of this step (the same words as the caption)."""
        return self.caption


def fmt(value) -> str:
    """Short label for a cell: integers without decimals, others with up to 2.

    Examples
    --------
    >>> fmt(3.0), fmt(-0.5), fmt(1.23456), fmt(-0.0)
    ('3', '-0.5', '1.23', '0')
    """
    v = float(value)
    if not np.isfinite(v):
        return str(v)
    if abs(v - round(v)) < 1e-6:
        return str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


def fmt_full(value) -> str:
    """Tooltip precision (6 significant digits)."""
    return f"{float(value):.6g}"


def signed_term(value) -> str:
    """A factor in a formula, parenthesised when negative: ``(−2)``."""
    text = fmt(value)
    return f"({text.replace('-', '−')})" if text.startswith("-") else text


def as_tuple(value, rank: int) -> tuple:
    """An int or a sequence → a ``rank``-tuple of ints (user-facing convenience)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    items = tuple(int(v) for v in value)
    if len(items) != rank:
        raise ValueError(f"expected {rank} values, received {value!r}")
    return items


def normalise_conv_config(config, rank: int, optional=()) -> None:
    """For a frozen conv config's ``__post_init__``: kernel_size, strides, dilation_rate (and
    each ``optional`` field that is not None) become ``rank``-tuples and padding lower case, so
    scene code can zip over axes and compare padding names directly."""
    for name in ("kernel_size", "strides", "dilation_rate"):
        object.__setattr__(config, name, as_tuple(getattr(config, name), rank))
    for name in optional:
        if getattr(config, name) is not None:
            object.__setattr__(config, name, as_tuple(getattr(config, name), rank))
    object.__setattr__(config, "padding", config.padding.lower())


def window_indices(config, position) -> tuple:
    """Per axis, the padded-input indices that output ``position`` reads (o·s + t·d for tap
    t), for any config with per-axis kernel_size, strides and dilation_rate."""
    return tuple(np.arange(k) * d + o * s for o, k, s, d in
                 zip(position, config.kernel_size, config.strides, config.dilation_rate,
                     strict=False))


def call_op(fn, *args, explain=None, **kwargs) -> np.ndarray:
    """Call a convkit op, turning its ValueError into a :class:`SceneError` for the banner."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        sentence = explain(str(exc)) if explain else "These settings are not valid for this op."
        raise SceneError(str(exc), sentence) from exc


def axis_text(index) -> str:
    """``(1, 2)`` → ``"(1, 2)"``; ``(3,)`` → ``"3"`` (1-D positions read better bare)."""
    index = tuple(int(i) for i in index)
    return str(index[0]) if len(index) == 1 else "(" + ", ".join(map(str, index)) + ")"


__all__ = ["CHANNELS_LAST", "SceneError", "CaptionedScene", "fmt", "fmt_full", "signed_term",
           "as_tuple", "normalise_conv_config", "window_indices", "call_op", "axis_text"]
