"""What every scene shares: the error a banner shows, op calls, and the geometry of a window
stepping over a padded input (conv, separable and transposed scenes). Numbers and positions
are written by :mod:`.text`."""

from dataclasses import dataclass

import numpy as np

from convkit.ops import shapes
from convkit.ops.arguments import check_strides_dilation

# Scenes hold (…, channels) arrays, so every op and layer they call is told so: a session that
# set convkit.config.set_image_data_format("channels_first") must not reinterpret them.
CHANNELS_LAST = {"data_format": "channels_last"}


STRIDE_DILATION_SENTENCE = (
    "Keras's Conv layers accept a stride above 1 or a dilation above 1, never both: TensorFlow "
    "computed dilated convolutions by regrouping the input into dilation-spaced blocks, which "
    "only works at unit stride, and Keras kept the rule on every backend (DepthwiseConv2D and "
    "SeparableConv2D do allow both).")


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


def as_tuple(value, rank: int) -> tuple:
    """An int or a sequence → a ``rank``-tuple of ints (user-facing convenience)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    items = tuple(int(v) for v in value)
    if len(items) != rank:
        raise ValueError(f"expected {rank} values, received {value!r}")
    return items


@dataclass(frozen=True)
class WindowConfig:
    """What the conv, transposed and separable configs share: a window of ``kernel_size``
    taps, ``dilation_rate`` apart, moved by ``strides`` over ``rank`` spatial axes, and the
    ``padding`` name.

    Each per-axis field becomes a ``rank``-tuple and ``padding`` lower case, so scene code
    can zip over axes and compare padding names directly.

    Examples
    --------
    >>> WindowConfig(rank=1, kernel_size=3, padding="SAME")
    WindowConfig(rank=1, kernel_size=(3,), strides=(1,), dilation_rate=(1,), padding='same')
    """

    rank: int = 2
    kernel_size: tuple = 3
    strides: tuple = 1
    dilation_rate: tuple = 1
    padding: str = "valid"

    def __post_init__(self):
        for name in ("kernel_size", "strides", "dilation_rate"):
            object.__setattr__(self, name, as_tuple(getattr(self, name), self.rank))
        object.__setattr__(self, "padding", self.padding.lower())


def window_indices(config, position) -> tuple:
    """Per axis, the padded-input indices that output ``position`` reads (o·s + t·d for tap
    t), for any config with per-axis kernel_size, strides and dilation_rate."""
    return tuple(np.arange(k) * d + o * s for o, k, s, d in
                 zip(position, config.kernel_size, config.strides, config.dilation_rate,
                     strict=False))


def channels_last_input(x, rank: int) -> np.ndarray:
    """``x`` as float32 with a channel axis last: a ``rank``-D array becomes one channel."""
    x = np.asarray(x, dtype=np.float32)
    return x[..., None] if x.ndim == rank else x


def check_input_rank(x: np.ndarray, rank: int, explanation: str) -> None:
    """Refuse an input that is not ``rank`` spatial axes plus channels (after
    :func:`channels_last_input`), with ``explanation`` for the banner."""
    if x.ndim != rank + 1:
        raise SceneError(f"expected an input of rank {rank} or {rank + 1}, received shape "
                         f"{x.shape}", explanation)


def check_conv_strides_dilation(config) -> None:
    """The Conv layers' rule (a stride or a dilation above 1, never both), checked before any
    op runs, as a :class:`SceneError` with :data:`STRIDE_DILATION_SENTENCE`."""
    try:
        check_strides_dilation(config.strides, config.dilation_rate)
    except ValueError as exc:
        raise SceneError(str(exc), STRIDE_DILATION_SENTENCE) from exc


def effective_kernels(config) -> tuple:
    """Per axis, the dilated kernel's span k̂ = k + (k − 1)(d − 1)."""
    return tuple(shapes.effective_kernel(k, d)
                 for k, d in zip(config.kernel_size, config.dilation_rate, strict=False))


def conv_pads(config, spatial) -> tuple:
    """Per axis, the (before, after) zeros ``ops.conv`` adds for ``config.padding``."""
    return tuple(shapes.conv_padding(m, k, s, d, config.padding) for m, k, s, d in
                 zip(spatial, config.kernel_size, config.strides, config.dilation_rate,
                     strict=False))


def padding_mask(padded_spatial, pads, spatial) -> np.ndarray:
    """True on the cells of a padded array that padding added: all but the ``spatial`` block
    after the ``before`` zeros of each axis."""
    mask = np.ones(padded_spatial, dtype=bool)
    mask[tuple(slice(b, b + m) for (b, _), m in zip(pads, spatial, strict=False))] = False
    return mask


def clamp(index, count: int) -> int:
    """``index`` as an int in ``[0, count - 1]`` (0 when ``count`` is 0)."""
    return int(min(max(index, 0), max(count - 1, 0)))


def step_position(step, n_steps: int, shape) -> tuple:
    """``(step, position)``: the step clamped to the scene's range and the row-major
    position in ``shape`` it stands for."""
    step = clamp(step, n_steps)
    return step, tuple(int(i) for i in np.unravel_index(step, shape))


def layer_arg(values, rank: int):
    """A per-axis tuple as a Keras layer argument spells it: the bare value in 1-D."""
    return values[0] if rank == 1 else values


def layer_args(config) -> tuple:
    """``(kernel_size, strides, dilation_rate)`` of a conv config as a Keras layer spells
    them (see :func:`layer_arg`)."""
    return tuple(layer_arg(v, config.rank)
                 for v in (config.kernel_size, config.strides, config.dilation_rate))


def call_op(fn, *args, explain=None, **kwargs) -> np.ndarray:
    """Call a convkit op, turning its ValueError into a :class:`SceneError` for the banner."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        sentence = explain(str(exc)) if explain else "These settings are not valid for this op."
        raise SceneError(str(exc), sentence) from exc


__all__ = ["CHANNELS_LAST", "STRIDE_DILATION_SENTENCE", "SceneError", "CaptionedScene",
           "as_tuple", "WindowConfig", "window_indices", "channels_last_input",
           "check_input_rank", "check_conv_strides_dilation", "effective_kernels", "conv_pads",
           "padding_mask", "clamp", "step_position", "layer_arg", "layer_args", "call_op"]
