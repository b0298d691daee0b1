"""Shared Parameters and Raises text of the convolution-family and pooling layer docstrings.

The ten convolution layers (plain, transposed, depthwise and separable, in 1-D to 3-D) take
the same arguments with the same meaning, and so do the twelve pooling layers; writing them
once keeps ``help(Conv2D)`` and ``help(SeparableConv1D)`` (or ``help(MaxPooling1D)`` and
``help(AveragePooling3D)``) from drifting apart. A class docstring marks where the generated
sections go with a line holding only ``{{parameters}}`` (and ``{{raises}}``); the
:func:`document` decorator replaces the markers with the entries the class names, worded for
its rank (``cls.rank``), and the Raises text of its family.
"""

_SPATIAL = {1: "steps", 2: "rows, cols", 3: "depth, rows, cols"}

# one entry per constructor argument: "name : type" then its description; {n} is the rank,
# {ints} "int" or "tuple of n ints", {spatial} the spatial axes' names
_ARGUMENTS = {
    "filters": """filters : int
    Number of output channels (> 0).""",
    "kernel_size": """kernel_size : {ints}
    Size of the convolution window; one int is used along every spatial axis.""",
    "strides": """strides : {ints}, default 1
    Step of the window. Plain convolutions do not allow ``strides > 1`` together with
    ``dilation_rate > 1``.""",
    "padding": """padding : {{"valid", "same"}}, default "valid"
    ``"valid"`` uses only windows inside the input. ``"same"`` pads with zeros so that the
    output has ``ceil(n / strides)`` positions; an odd number of padding zeros puts the extra
    one after the input (bottom/right), as Keras does. Case-insensitive.""",
    "padding_causal": """padding : {{"valid", "same", "causal"}}, default "valid"
    As for Conv2D, plus ``"causal"``: ``dilation_rate * (kernel_size - 1)`` zeros before the
    input, so output ``t`` depends on inputs up to ``t`` only (sequence models).""",
    "padding_transpose": """padding : {{"valid", "same"}}, default "valid"
    The padding of the convolution this layer reverses: ``"same"`` gives ``n * strides``
    outputs, ``"valid"`` ``(n - 1) * strides + max(kernel, strides)``
    (with ``output_padding=None``).""",
    "output_padding": """output_padding : {ints} or None, default None
    Extra positions after the last one, to pick which of the input sizes a strided
    convolution maps to the same output the result has; each must be smaller than the
    stride. ``None`` lets the layer choose, as Keras does. A size of zero gives an empty
    array.""",
    "data_format": """data_format : {{"channels_last", "channels_first"}}, optional
    Where the channels are: ``(batch, {spatial}, channels)`` or
    ``(batch, channels, {spatial})``. ``None`` takes
    :func:`convkit.config.image_data_format` when the layer is made.""",
    "dilation_rate": """dilation_rate : {ints}, default 1
    Spacing between the kernel's taps (``d - 1`` holes between neighbours).""",
    "dilation_rate_free": """dilation_rate : {ints}, default 1
    Spacing between the kernel's taps (``d - 1`` holes between neighbours); unlike the plain
    convolutions, ``strides > 1`` together with ``dilation_rate > 1`` is allowed.""",
    "groups": """groups : int, default 1
    Split the input channels into this many groups, each convolved with its own
    ``filters // groups`` filters; channels and filters must both be divisible by it.""",
    "depth_multiplier": """depth_multiplier : int, default 1
    Filters per input channel in the depthwise step.""",
    "activation": """activation : str, callable or None, default None
    Applied to the output, by name (``"relu"``) or function; ``None`` leaves it linear.""",
    "use_bias": """use_bias : bool, default True
    Whether to add a learned bias to each output channel.""",
    "kernel_weights": """kernel_initializer, kernel_regularizer, kernel_constraint
    How the kernel starts (default ``"glorot_uniform"``), its penalty in the training loss
    and the projection applied after each optimizer step; names, configuration dicts or
    objects from :mod:`convkit.initializers`, :mod:`convkit.regularizers` and
    :mod:`convkit.constraints`.""",
    "depthwise_weights": """depthwise_initializer, depthwise_regularizer, depthwise_constraint
    The same for the depthwise kernel (default initializer ``"glorot_uniform"``).""",
    "pointwise_weights": """pointwise_initializer, pointwise_regularizer, pointwise_constraint
    The same for the 1x1 pointwise kernel (default initializer ``"glorot_uniform"``).""",
    "bias_weights": """bias_initializer, bias_regularizer, bias_constraint
    The same for the bias (default initializer ``"zeros"``; ``None`` means Glorot uniform,
    as in Keras).""",
    "activity_regularizer": """activity_regularizer : optional
    A penalty on the layer's output, added to the training loss divided by the batch
    size.""",
    # pooling: no weights, so no filters, activation or initializers
    "pool_size": """pool_size : {ints}
    Window size per spatial axis (> 0); one int is used along every spatial axis.""",
    "pool_size_max": """pool_size : {ints}, default 2 along every axis
    Window size per spatial axis (> 0); one int is used along every spatial axis.""",
    "pool_strides": """strides : {ints} or None, default None
    Step between windows (> 0). ``None`` means ``pool_size``: windows side by side, no
    overlap.""",
    "padding_max": """padding : {{"valid", "same"}}, default "valid"
    ``"valid"`` uses only windows inside the input: ``(n - pool_size) // strides + 1``
    outputs. ``"same"`` gives ``ceil(n / strides)`` outputs, the windows placed as Keras
    places them (an odd padding puts the extra one after the input); a border window takes
    the maximum of the inputs it covers, padding never wins. Case-insensitive.""",
    "padding_average": """padding : {{"valid", "same"}}, default "valid"
    ``"valid"`` uses only windows inside the input: ``(n - pool_size) // strides + 1``
    outputs. ``"same"`` gives ``ceil(n / strides)`` outputs, the windows placed as Keras
    places them (an odd padding puts the extra one after the input); a border window
    averages only the inputs it covers, the padding is not counted as zeros (as Keras does
    on jax). Case-insensitive.""",
    "keepdims": """keepdims : bool, default False
    Keep the spatial axes with length 1: ``(batch, 1, ..., channels)`` instead of
    ``(batch, channels)``.""",
    "base": """**kwargs
    ``name``, ``dtype`` (``"float32"``, the default, or ``"float64"``), ``trainable`` and
    ``input_shape`` (the shape without the batch axis, for the first layer of a
    :class:`~convkit.models.Sequential`), as for every layer.""",
}

# what every convolution layer raises, at construction and when called
_RAISES = """ValueError
    At construction, for an argument of the wrong type or out of range (the message names
    it). When called or built, for an input of the wrong rank or a channel count that does
    not match the weights.
TypeError
    When called on complex, object or string arrays."""

# what a windowed pooling layer raises
WINDOW_POOLING_RAISES = """ValueError
    At construction, for a ``pool_size`` or ``strides`` that is not a positive int or a tuple
    of one per spatial axis, or an unknown ``padding`` or ``data_format`` (the message names
    the argument). When called, for an input of the wrong rank, or a window larger than a
    ``"valid"`` input (no output position).
TypeError
    When called on complex, object or string arrays."""

# what a global pooling layer raises
GLOBAL_POOLING_RAISES = """ValueError
    At construction, for an unknown ``data_format``. When called, for an input of the wrong
    rank or with a zero-length spatial axis (nothing to pool).
TypeError
    At construction, for a ``keepdims`` that is not True or False. When called, on complex,
    object or string arrays."""


def _ints(rank: int) -> str:
    return "int or tuple of 1 int" if rank == 1 else f"int or tuple of {rank} ints"


def parameters_section(names, rank: int) -> str:
    """The ``Parameters`` section listing ``names`` (keys of ``_ARGUMENTS``) for ``rank``."""
    entries = [_ARGUMENTS[name].replace("{ints}", _ints(rank))
               .replace("{spatial}", _SPATIAL[rank]).replace("{{", "{").replace("}}", "}")
               for name in names]
    return "Parameters\n----------\n" + "\n".join(entries)


def _indented(text: str, indent: str) -> str:
    return "\n".join(indent + line if line else line for line in text.splitlines())


def document(*names, raises: str = _RAISES):
    """Class decorator: fill the ``{{parameters}}`` and ``{{raises}}`` lines of the docstring
    (``raises``: the family's Raises entries, the convolution layers' by default)."""
    def fill(cls):
        doc = cls.__doc__
        for marker, section in (("{{parameters}}", parameters_section(names, cls.rank)),
                                ("{{raises}}", "Raises\n------\n" + raises)):
            line = next(line for line in doc.splitlines() if line.strip() == marker)
            indent = line[: len(line) - len(line.lstrip())]
            doc = doc.replace(line, _indented(section, indent))
        cls.__doc__ = doc
        return cls
    return fill
