"""Global settings, spelled as in ``keras.config``.

The default data format is read by layers and ops **at construction/call time** when their
``data_format`` is ``None``; a layer keeps the value it resolved, so changing the default
later does not change layers that already exist.
"""

_DATA_FORMATS = ("channels_last", "channels_first")
_image_data_format = "channels_last"
_EPSILON = 1e-7


def image_data_format() -> str:
    """Return the default image data format, ``"channels_last"`` unless changed.

    Returns
    -------
    str
        ``"channels_last"`` or ``"channels_first"``.

    Examples
    --------
    >>> import convkit
    >>> convkit.config.image_data_format()
    'channels_last'
    """
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format used when ``data_format=None``.

    Parameters
    ----------
    data_format : {"channels_last", "channels_first"}
        Case-insensitive.

    Raises
    ------
    ValueError
        For any value other than the two names (any case).

    Examples
    --------
    >>> import convkit
    >>> convkit.config.set_image_data_format("channels_first")
    >>> convkit.config.image_data_format()
    'channels_first'
    >>> convkit.config.set_image_data_format("channels_last")
    """
    global _image_data_format
    value = str(data_format).lower() if isinstance(data_format, str) else data_format
    if value not in _DATA_FORMATS:
        raise ValueError("The `data_format` argument must be one of "
                         f"{{'channels_first', 'channels_last'}}. Received: data_format={value}")
    _image_data_format = value


def epsilon() -> float:
    """The fuzz factor constraints use (``1e-7``, as ``keras.config.epsilon()``).

    Returns
    -------
    float
        ``1e-7``.

    Examples
    --------
    >>> import convkit
    >>> convkit.config.epsilon()
    1e-07
    """
    return _EPSILON


_CONV_ALGORITHMS = ("auto", "direct", "winograd")
_conv_algorithm = "auto"


def check_conv_algorithm(algorithm) -> str:
    """Check a convolution algorithm's name, as :func:`set_conv_algorithm` and
    :func:`convkit.ops.conv` do.

    Parameters
    ----------
    algorithm : str
        ``"auto"``, ``"direct"`` or ``"winograd"``, in any case.

    Returns
    -------
    str
        The name in lower case.

    Raises
    ------
    ValueError
        For any other value, a string or not (the message lists the three names).

    Examples
    --------
    >>> import convkit
    >>> convkit.config.check_conv_algorithm("Winograd")
    'winograd'
    """
    value = algorithm.lower() if isinstance(algorithm, str) else algorithm
    if value not in _CONV_ALGORITHMS:
        raise ValueError("The `algorithm` argument must be one of 'auto', 'direct' or "
                         f"'winograd'. Received: algorithm={algorithm!r}")
    return value


def conv_algorithm() -> str:
    """The convolution algorithm ops and layers use when not told otherwise (``"auto"``).

    Returns
    -------
    str
        ``"auto"`` (the default), ``"direct"`` or ``"winograd"``, as
        :func:`set_conv_algorithm` last set it.

    Examples
    --------
    >>> import convkit
    >>> convkit.config.conv_algorithm()
    'auto'
    """
    return _conv_algorithm


def set_conv_algorithm(algorithm: str) -> None:
    """Set the default convolution algorithm of :func:`convkit.ops.conv` (and the layers).

    Parameters
    ----------
    algorithm : {"auto", "direct", "winograd"}
        ``"auto"`` picks per call from the shape (Winograd for 2-D 3x3 stride-1 convolutions
        with enough channels and pixels); ``"winograd"`` asks for it and makes every other
        convolution raise ``ValueError`` saying why it cannot; ``"direct"`` never uses it.
        Case-insensitive.

    Raises
    ------
    ValueError
        For any other value; the setting is then left as it was.

    Examples
    --------
    >>> import convkit
    >>> convkit.config.set_conv_algorithm("direct")
    >>> convkit.config.conv_algorithm()
    'direct'
    >>> convkit.config.set_conv_algorithm("auto")
    """
    global _conv_algorithm
    _conv_algorithm = check_conv_algorithm(algorithm)
