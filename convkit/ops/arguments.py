"""Normalise and validate constructor/op arguments once, Keras-style, with convkit's D1 rules.

Everything downstream sees tuples of Python ints and lower-case strings. Messages follow Keras
(docs/design/keras_parity.md §1) so users can search for them; convkit rejects earlier than Keras
where Keras would fail later or never (docs/design/keras_parity.md D1).
"""

import numbers

import numpy as np

from .. import config

_ORDINALS = ("1st", "2nd", "3rd")


def _is_int(v) -> bool:
    # Python ints (bools count as 1/0, as in Keras) and NumPy integer scalars (converted,
    # docs/design/keras_parity.md D1)
    return isinstance(v, (int, np.integer))


def standardize_tuple(value, n: int, name: str, allow_zero: bool = False) -> tuple:
    """Return ``value`` as an ``n``-tuple of Python ints, validating the range.

    An int is repeated ``n`` times; any other value must be a length-``n`` sequence of ints.
    Floats, strings and ``None`` are rejected (``ValueError``), NumPy integers are converted.

    Parameters
    ----------
    value : int or sequence of int
        One int for every axis, or one per axis.
    n : int
        The number of axes.
    name : str
        The argument's name, for the error message.
    allow_zero : bool, default False
        Whether 0 is allowed (it is for padding amounts, not for strides).

    Returns
    -------
    tuple of int
        ``n`` Python ints.

    Raises
    ------
    ValueError
        For a float, a string or ``None``, a sequence of the wrong length, or a value
        below 1 (below 0 with ``allow_zero``).

    Examples
    --------
    >>> standardize_tuple(3, 2, "kernel_size")
    (3, 3)
    >>> standardize_tuple([1, 2], 2, "strides")
    (1, 2)
    """
    def error(suffix=""):  # built only when raising: this runs on every op call
        return ValueError(f"The `{name}` argument must be a tuple of {n} integers. "
                          f"Received {name}={value!r}{suffix}")

    if _is_int(value):
        result = (int(value),) * n
    else:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise error()
        try:
            items = tuple(value)
        except TypeError:
            raise error() from None
        if len(items) != n or not all(_is_int(v) for v in items):
            raise error()
        result = tuple(int(v) for v in items)
    bad = {v for v in result if (v < 0 if allow_zero else v <= 0)}
    if bad:
        rule = "value >= 0" if allow_zero else "value > 0"
        raise error(f", including values {bad} that do not satisfy `{rule}`")
    return result


def standardize_padding(value, allow_causal: bool = False) -> str:
    """Lower-case and check a conv ``padding`` string (``valid``/``same``[/``causal``]).

    Parameters
    ----------
    value : str
        ``"valid"`` or ``"same"`` (any case), or ``"causal"`` where allowed.
    allow_causal : bool, default False
        Whether ``"causal"`` is accepted (1-D convolutions only).

    Returns
    -------
    str
        The lower-case name.

    Raises
    ------
    ValueError
        For a value that is not a string or not one of the allowed names.

    Examples
    --------
    >>> from convkit import ops
    >>> ops.standardize_padding("SAME")
    'same'
    >>> ops.standardize_padding("causal", allow_causal=True)
    'causal'
    """
    allowed = {"valid", "same", "causal"} if allow_causal else {"valid", "same"}
    if not isinstance(value, str):
        raise ValueError(f"The `padding` argument must be one of {sorted(allowed)} (a string). "
                         f"Received: padding={value!r}")
    lowered = value.lower()
    if lowered not in allowed:
        raise ValueError(f"The `padding` argument must be a list/tuple or one of {allowed}. "
                         f"Received: {lowered}")
    return lowered


def standardize_data_format(value) -> str:
    """Resolve ``None`` to :func:`convkit.config.image_data_format` and lower-case the rest.

    Parameters
    ----------
    value : {"channels_last", "channels_first"} or None
        A data format name (any case); ``None`` means the configured default.

    Returns
    -------
    str
        ``"channels_last"`` or ``"channels_first"``.

    Raises
    ------
    ValueError
        For any other value.

    Examples
    --------
    >>> from convkit import ops
    >>> ops.standardize_data_format("Channels_First")
    'channels_first'
    >>> ops.standardize_data_format(None)  # convkit.config.image_data_format()
    'channels_last'
    """
    if value is None:
        return config.image_data_format()
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of "
                         "{'channels_first', 'channels_last'}. "
                         f"Received: data_format={lowered}")
    return lowered


def check_positive_int(value, name: str, allow_none: bool = False):
    """Check a strictly positive integer argument such as ``filters`` or ``depth_multiplier``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not _is_int(value):
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly "
                             f"positive integer. Received {name}={value!r}.")
        raise TypeError(f"Invalid type for argument `{name}`. Expected an int. "
                        f"Received {name}={value!r} of type {type(value).__name__}.")
    if value <= 0:
        raise ValueError(f"Invalid value for argument `{name}`. Expected a strictly positive "
                         f"value. Received {name}={value}.")
    return int(value)


def check_strides_dilation(strides: tuple, dilation_rate: tuple) -> None:
    """Keras's rule for conv and transposed conv: no stride > 1 together with dilation > 1."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError("`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={strides} and dilation_rate={dilation_rate}")


def standardize_pairs(value, rank: int, name: str, allow_negative_int: bool = False) -> tuple:
    """Normalise cropping/padding arguments to ``rank`` pairs ``((before, after), ...)``.

    Accepted: an int (same amount everywhere), ``rank`` entries each an int (symmetric on that axis)
    or a pair. Negative amounts are rejected (docs/design/keras_parity.md D1),
    ``allow_negative_int`` is not used by convkit layers and exists only to document the Keras quirk
    it replaces.

    Examples
    --------
    >>> standardize_pairs(1, 2, "padding")
    ((1, 1), (1, 1))
    >>> standardize_pairs(((1, 2), 3), 2, "cropping")
    ((1, 2), (3, 3))
    """
    if _is_int(value):
        if value < 0 and not allow_negative_int:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((int(value), int(value)),) * rank
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise ValueError(
            f"`{name}` should be either an int, a tuple of {rank} ints "
            f"(symmetric_{name}_per_axis), or a tuple of {rank} tuples of 2 ints "
            f"((before, after) per spatial axis). Received: {name}={value!r}.")
    entries = tuple(value)
    if len(entries) != rank:
        count = "two" if rank == 2 else str(rank)
        raise ValueError(f"`{name}` should have {count} elements. Received: {value!r}.")
    pairs = []
    for i, entry in enumerate(entries):
        label = f"{_ORDINALS[i]} entry of {name}"
        pairs.append(standardize_tuple(entry, 2, label, allow_zero=True))
    return tuple(pairs)


# Activations the conv kernels apply in their store, as the code the kernels read; every other
# activation is applied by the layer afterwards.
FUSED_ACTIVATIONS = {None: 0, "linear": 0, "relu": 1}


def fused_activation_code(activation, who: str | None = None) -> int:
    """The kernel's store code for ``activation`` (None/"linear" 0, "relu" 1).

    Examples
    --------
    >>> fused_activation_code("relu")
    1
    """
    if (isinstance(activation, str) or activation is None) and activation in FUSED_ACTIVATIONS:
        return FUSED_ACTIVATIONS[activation]
    prefix = f"{who}: " if who else ""
    raise ValueError(f"{prefix}`activation` must be None, 'linear' or 'relu' (layers apply "
                     f"other activations themselves). Received: activation={activation!r}")


# UpSampling's resampling modes, in the order Keras's message lists them.
INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def standardize_interpolation(value) -> str:
    """Lower-case and check an ``interpolation`` name (one of :data:`INTERPOLATIONS`).

    Examples
    --------
    >>> standardize_interpolation("Bilinear")
    'bilinear'
    """
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in INTERPOLATIONS:
        raise ValueError("Invalid value for argument `interpolation`. Expected of one "
                         f"{INTERPOLATIONS}. Received: interpolation={lowered}")
    return lowered


def standardize_output_padding(value, strides: tuple):
    """``None``, or ``value`` as a tuple with each entry ``>= 0`` and ``< strides`` on its axis.

    Examples
    --------
    >>> standardize_output_padding(1, (2, 2))
    (1, 1)
    """
    if value is None:
        return None
    padding = standardize_tuple(value, len(strides), "output_padding", allow_zero=True)
    for axis, (o, s) in enumerate(zip(padding, strides, strict=True)):
        if o >= s:
            raise ValueError(
                "`output_padding` must be strictly less than `strides` for all dimensions. "
                f"At dimension {axis}, `output_padding` is {o} but `strides` is {s}. "
                f"Received: output_padding={padding}, strides={strides}")
    return padding
