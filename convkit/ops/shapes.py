"""Shape arithmetic per spatial axis, shared by ops, layers and widgets (docs/design/keras_parity.md
§2).

Notation: ``n`` input length, ``k`` kernel size, ``s`` stride, ``d`` dilation,
``ek = (k - 1) * d + 1`` the effective kernel, ``op`` output_padding. ``None`` lengths (unknown
at shape-inference time) propagate as ``None``.
"""


def channel_axis(data_format: str) -> int:
    """The channel axis of a batched array in ``data_format``: 1 or -1.

    Examples
    --------
    >>> channel_axis("channels_first"), channels((8, 28, 28, 3), "channels_last")
    (1, 3)
    """
    return 1 if data_format == "channels_first" else -1


def spatial_shape(x, data_format: str) -> tuple:
    """The spatial dims of a batched array (or shape) in ``data_format``."""
    shape = tuple(getattr(x, "shape", x))
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def channels(x, data_format: str):
    """The channel count of a batched array (or shape) in ``data_format``."""
    return tuple(getattr(x, "shape", x))[channel_axis(data_format)]


def effective_kernel(k: int, d: int) -> int:
    """``(k - 1) * d + 1``: the span of a dilated kernel."""
    return (k - 1) * d + 1


def conv_output_length(n, k: int, s: int, d: int, padding: str):
    """Output length of a forward conv along one axis (``valid``, ``same`` or ``causal``).

    ``valid`` may return zero or a negative number: callers decide how to report it.

    Examples
    --------
    >>> conv_output_length(28, 3, 1, 1, "valid"), conv_output_length(5, 3, 2, 1, "same")
    (26, 3)
    """
    if n is None:
        return None
    if padding == "valid":
        return (n - effective_kernel(k, d)) // s + 1
    return (n + s - 1) // s  # ceil(n / s), for same and causal


def check_conv_output(out, *, inputs_shape, kernel_shape, dilation_rate, strides, padding,
                      who: str | None = None) -> None:
    """Keras's error when a forward conv's output would have a zero or negative length.

    ``out`` holds the per-axis lengths (``None`` for unknown); the other arguments are only
    quoted in the message.
    """
    if any(o is not None and o <= 0 for o in out):
        where = f" in {who}" if who else ""
        raise ValueError(
            "Computed output size would be zero or negative. Received "
            f"`inputs shape={tuple(inputs_shape)}`, `kernel shape={tuple(kernel_shape)}`, "
            f"`dilation_rate={list(dilation_rate)}`, `strides={tuple(strides)}`, "
            f"`padding={padding}`{where}.")


def same_padding(n: int, k: int, s: int, d: int) -> tuple:
    """``(before, after)`` zeros that Keras's ``same`` adds; an odd extra goes after.

    Examples
    --------
    >>> same_padding(6, 3, 2, 1), same_padding(5, 3, 2, 1), same_padding(5, 4, 1, 1)
    ((0, 1), (1, 1), (1, 2))
    """
    out = (n + s - 1) // s
    total = max((out - 1) * s + effective_kernel(k, d) - n, 0)
    return total // 2, total - total // 2


def conv_padding(n: int, k: int, s: int, d: int, padding: str) -> tuple:
    """``(before, after)`` implicit zero padding of a forward conv along one axis."""
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return d * (k - 1), 0
    return same_padding(n, k, s, d)


def transpose_output_length(n, k: int, s: int, d: int, padding: str, output_padding=None):
    """Output length of a transposed conv along one axis (docs/design/keras_parity.md §2.4).

    Examples
    --------
    >>> transpose_output_length(12, 3, 2, 1, "same"), transpose_output_length(12, 3, 2, 1, "valid")
    (24, 25)
    >>> transpose_output_length(12, 3, 2, 1, "same", 0)
    23
    """
    if n is None:
        return None
    ek = effective_kernel(k, d)
    if padding == "valid":
        op = max(ek, s) - ek if output_padding is None else output_padding
        return (n - 1) * s + ek + op
    if output_padding is None:
        return n * s
    return (n - 1) * s + ek % 2 + output_padding


def transpose_crop(k: int, s: int, d: int, padding: str, output_padding=None) -> int:
    """Left crop ``c0`` of a transposed conv: output j reads the full scatter buffer at j + c0.

    Examples
    --------
    >>> transpose_crop(3, 2, 1, "same"), transpose_crop(4, 2, 1, "same", 0)
    (0, 2)
    """
    if padding == "valid":
        return 0
    ek = effective_kernel(k, d)
    if output_padding is None:
        return max(0, (ek - s) // 2)
    return max(0, (ek - ek % 2 - output_padding) // 2)


def other_format_hint(shape: tuple, channels: int, data_format: str) -> str:
    """A sentence for a channel-count error when ``shape`` would fit in the other data
    format (the usual cause: an image batch laid out the other way), else "".

    Examples
    --------
    >>> print(other_format_hint((8, 1, 28, 28), 1, "channels_last")[:66])
     (received 28 channels on the last axis, and axis 1 holds the 1 ex
    >>> other_format_hint((8, 28, 28, 2), 1, "channels_last")
    ''
    """
    if len(shape) < 3:
        return ""
    if data_format == "channels_last" and shape[1] == channels:
        return (f" (received {shape[-1]} channels on the last axis, and axis 1 holds the "
                f"{channels} expected: is the input channels_first? Transpose it, or give "
                'the layer data_format="channels_first")')
    if data_format == "channels_first" and shape[-1] == channels:
        return (f" (received {shape[1]} channels on axis 1, and the last axis holds the "
                f"{channels} expected: is the input channels_last? Transpose it, or give "
                'the layer data_format="channels_last")')
    return ""
