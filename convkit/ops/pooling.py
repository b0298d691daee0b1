"""Max and average pooling, windowed and global, with their gradients (Keras 3 semantics on
the jax backend, docs/design/keras_parity.md).

* ``"same"`` pads like Keras (an odd extra goes after), but no padded copy is made: each window
  is clipped to the input. Max pooling then ignores the padding (jax pads with ``-inf``) and
  average pooling divides by the number of real inputs in the window, as Keras on jax does.
* Max pooling's gradient goes, per window, to the *first* maximum in window order (depth, then
  height, then width), and overlapping windows add up: what ``jax.vjp`` of Keras's
  ``MaxPooling*`` gives on ties. The forward pass can record that position (``argmax``) so the
  backward pass needs no second search. The layers record it more compactly
  (:func:`max_pool_routing`: one byte per output, the maxima optional).
* Global max pooling's gradient is split evenly between tied maxima (``jnp.max``'s rule),
  global average pooling's is ``dy / count`` everywhere.

Layout: kernels see C-contiguous ``(N, D, H, W, C)``. ``channels_first`` arrays cost one
transpose in and one out (``_arrays.to_kernel_layout``/``from_kernel_layout``, as the conv ops
do). Pooling them in place as batch ``N*C`` with one channel was measured 5-8 times slower
(b8 112x112 C64: scalar inner loops over one channel against two blocked transposes).
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, shapes
from .arguments import standardize_data_format, standardize_padding, standardize_tuple

_pool = _kernels.load("_pool")

__all__ = ["average_pool", "average_pool_gradient", "global_average_pool",
           "global_average_pool_gradient", "global_max_pool", "global_max_pool_gradient",
           "max_pool", "max_pool_gradient", "max_pool_with_argmax", "pool_output_shape"]


# ---------------------------------------------------------------------------------------------
# arguments and geometry


def _spatial_rank(ndim: int, who: str, name: str = "inputs") -> int:
    rank = ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{who}: `{name}` must have 3, 4 or 5 dimensions (batch, 1-3 spatial, "
                         f"channels). Received an array with ndim={ndim}.")
    return rank


def pool_arguments(pool_size, strides, padding, data_format, rank: int) -> tuple:
    """``(pool_size, strides, padding, data_format)`` checked and normalised; ``strides=None``
    means ``pool_size``, as in Keras."""
    pool_size = standardize_tuple(pool_size, rank, "pool_size")
    strides = pool_size if strides is None else standardize_tuple(strides, rank, "strides")
    return (pool_size, strides, standardize_padding(padding),
            standardize_data_format(data_format))


def pool_output_shape(input_shape, pool_size, strides, padding, data_format) -> tuple:
    """The output shape of a windowed pooling of ``input_shape`` (``None`` dims propagate).

    Raises Keras's ValueError when a ``"valid"`` output length would be zero or negative.

    Examples
    --------
    >>> pool_output_shape((8, 5, 6, 3), (2, 2), (2, 2), "same", "channels_last")
    (8, 3, 3, 3)
    """
    shape = tuple(input_shape)
    spatial = shapes.spatial_shape(shape, data_format)
    out = tuple(shapes.conv_output_length(n, k, s, 1, padding)
                for n, k, s in zip(spatial, pool_size, strides, strict=True))
    if any(o is not None and o <= 0 for o in out) and padding == "valid":
        raise ValueError("Computed output size would be zero or negative. Received: "
                         f"`inputs.shape={shape}`, `pool_size={tuple(pool_size)}`, "
                         f"`strides={tuple(strides)}`, `padding={padding}`.")
    if data_format == "channels_first":
        return (*shape[:2], *out)
    return (shape[0], *out, shape[-1])


def _pad_before(spatial: tuple, pool_size: tuple, strides: tuple, padding: str) -> tuple:
    return tuple(shapes.conv_padding(n, k, s, 1, padding)[0]
                 for n, k, s in zip(spatial, pool_size, strides, strict=True))


def _pad3(values: tuple, fill: int) -> tuple:
    return (fill,) * (3 - len(values)) + tuple(values)


class _Geometry:
    """Everything the window kernels take besides arrays, for one input shape."""

    def __init__(self, input_shape, pool_size, strides, padding, data_format):
        self.input_shape = tuple(input_shape)
        self.output_shape = pool_output_shape(self.input_shape, pool_size, strides, padding,
                                              data_format)
        spatial = shapes.spatial_shape(self.input_shape, data_format)
        self.data_format = data_format
        self.window = math.prod(pool_size)
        self.args = (*_pad3(pool_size, 1), *_pad3(strides, 1),
                     *_pad3(_pad_before(spatial, pool_size, strides, padding), 0))


def _prepare(inputs, pool_size, strides, padding, data_format, who):
    x = _arrays.as_array(inputs)
    rank = _spatial_rank(x.ndim, who)
    pool_size, strides, padding, data_format = pool_arguments(pool_size, strides, padding,
                                                              data_format, rank)
    x = np.ascontiguousarray(x, dtype=_arrays.compute_dtype(x))
    return x, _Geometry(x.shape, pool_size, strides, padding, data_format)


def _kernel_shape(shape: tuple, data_format: str) -> tuple:
    """``(N, D, H, W, C)`` for a user shape (spatial dims padded with ones in front)."""
    n, c = shape[0], shapes.channels(shape, data_format)
    spatial = tuple(shapes.spatial_shape(shape, data_format))
    return (n, *(1,) * (3 - len(spatial)), *spatial, c)


def _from_kernel(a5: np.ndarray, shape: tuple, data_format: str) -> np.ndarray:
    return _arrays.from_kernel_layout(a5, len(shape) - 2, data_format)


def _run_forward(kernel, x, geo, record_argmax=False):
    fmt = geo.data_format
    out5 = _kernel_shape(geo.output_shape, fmt)
    y5 = np.empty(out5, dtype=x.dtype)
    arg5 = np.empty(out5, dtype=np.int32) if record_argmax else None
    if y5.size:
        work = x.nbytes + y5.nbytes + y5.size * geo.window
        extra = () if kernel is _pool.avg_pool else (arg5,)
        kernel(_arrays.to_kernel_layout(x, fmt), y5, *extra, *geo.args, threads_for(work))
    y = _from_kernel(y5, geo.output_shape, fmt)
    return y, (_from_kernel(arg5, geo.output_shape, fmt) if record_argmax else None)


# ---------------------------------------------------------------------------------------------
# windowed pooling


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> np.ndarray:
    """Max over each window (``keras.ops.max_pool``).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``,
        1 to 3 spatial axes. float64 stays float64; anything else computes in float32.
    pool_size : int or tuple of ints
        Window size per spatial axis (> 0).
    strides : int or tuple of ints, optional
        Step between windows (> 0); ``None`` means ``pool_size``.
    padding : {"valid", "same"}
        ``"same"`` gives ``ceil(n / stride)`` outputs; the windows' missing inputs are ignored.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        The pooled array, same batch and channels, each spatial axis of length
        ``(n - pool) // stride + 1`` (``"valid"``) or ``ceil(n / stride)`` (``"same"``). A NaN
        in a window makes its maximum NaN.

    Raises
    ------
    ValueError
        For ``inputs`` without 3, 4 or 5 dimensions; a ``pool_size`` or ``strides`` that is not
        a positive int or a tuple of one per spatial axis; an unknown ``padding`` or
        ``data_format``; or a window larger than a ``"valid"`` input (no output position).
    TypeError
        For complex, string or object ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.max_pool(np.array([[[1.0], [3.0], [2.0]]]), 2, padding="same")[0, :, 0]
    array([3., 2.])
    """
    x, geo = _prepare(inputs, pool_size, strides, padding, data_format, "max_pool")
    return _run_forward(_pool.max_pool, x, geo)[0]


def max_pool_with_argmax(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling that also says where each maximum came from, for the backward pass.

    Parameters
    ----------
    inputs, pool_size, strides, padding, data_format
        As for :func:`max_pool`.

    Returns
    -------
    outputs : numpy.ndarray
        What :func:`max_pool` returns.
    argmax : numpy.ndarray of int32
        The shape of ``outputs``. For each output value, the position of the first maximum of
        its window (in depth, then row, then column order) as a flat index into the spatial
        axes of its own image and channel: ``(d * H + h) * W + w`` for an input of spatial
        size ``(D, H, W)`` (``h * W + w`` in 2-D, the step in 1-D). Pass it to
        :func:`max_pool_gradient`: that input receives the window's gradient.

    Raises
    ------
    ValueError
        As for :func:`max_pool`: wrong rank, bad ``pool_size``, ``strides``, ``padding`` or
        ``data_format``, or no output position.
    TypeError
        For complex, string or object ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.array([[[1.0], [3.0], [3.0], [2.0]]])  # one sequence of 4 steps, 1 channel
    >>> outputs, argmax = ops.max_pool_with_argmax(x, 2)
    >>> outputs[0, :, 0], argmax[0, :, 0]
    (array([3., 3.]), array([1, 2], dtype=int32))
    """
    x, geo = _prepare(inputs, pool_size, strides, padding, data_format, "max_pool")
    return _run_forward(_pool.max_pool, x, geo, record_argmax=True)


def average_pool(inputs, pool_size, strides=None, padding="valid",
                 data_format=None) -> np.ndarray:
    """Mean over each window's real inputs (``keras.ops.average_pool``, jax backend).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``,
        1 to 3 spatial axes. float64 stays float64; anything else computes in float32.
    pool_size : int or tuple of ints
        Window size per spatial axis (> 0).
    strides : int or tuple of ints, optional
        Step between windows (> 0); ``None`` means ``pool_size``.
    padding : {"valid", "same"}
        ``"same"`` gives ``ceil(n / stride)`` outputs. A border window then averages only the
        inputs it covers: padding is not counted as zeros, as in Keras on jax.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        The pooled array, shaped as :func:`max_pool`'s result.

    Raises
    ------
    ValueError
        For ``inputs`` without 3, 4 or 5 dimensions; a ``pool_size`` or ``strides`` that is not
        a positive int or a tuple of one per spatial axis; an unknown ``padding`` or
        ``data_format``; or a window larger than a ``"valid"`` input (no output position).
    TypeError
        For complex, string or object ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.average_pool(np.array([[[1.0], [3.0], [2.0]]]), 2, padding="same")[0, :, 0]
    array([2., 2.])
    """
    x, geo = _prepare(inputs, pool_size, strides, padding, data_format, "average_pool")
    return _run_forward(_pool.avg_pool, x, geo)[0]


def _gradient_geometry(output_gradient, input_shape, pool_size, strides, padding, data_format,
                       who):
    input_shape = tuple(int(d) for d in input_shape)
    rank = _spatial_rank(len(input_shape), who, "input_shape")
    pool_size, strides, padding, data_format = pool_arguments(pool_size, strides, padding,
                                                              data_format, rank)
    geo = _Geometry(input_shape, pool_size, strides, padding, data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    if dy.dtype.kind != "f":
        raise TypeError(f"{who}: `output_gradient` must be a floating-point array. "
                        f"Received an array of dtype {dy.dtype}.")
    if dy.shape != geo.output_shape:
        raise ValueError(f"{who}: `output_gradient` must have the pooled shape "
                         f"{geo.output_shape} for inputs of shape {input_shape}. Received "
                         f"shape {tuple(dy.shape)}.")
    dy = np.ascontiguousarray(dy, dtype=_arrays.compute_dtype(dy))
    return dy, geo


def _run_gradient(kernel, dy, geo, *extra, extra_in_kernel_layout=False):
    if dy.size == 0:  # no window (a zero-length "same" output, or no data): nothing flows back
        return np.zeros(geo.input_shape, dtype=dy.dtype)
    fmt = geo.data_format
    dx5 = np.empty(_kernel_shape(geo.input_shape, fmt), dtype=dy.dtype)
    work = dx5.nbytes + dy.nbytes * max(1, geo.window)
    if not extra_in_kernel_layout:
        extra = tuple(_arrays.to_kernel_layout(a, fmt) for a in extra)
    kernel(_arrays.to_kernel_layout(dy, fmt), *extra, dx5, *geo.args, threads_for(work))
    return _from_kernel(dx5, geo.input_shape, fmt)


def max_pool_gradient(output_gradient, argmax, input_shape, pool_size, strides=None,
                      padding="valid", data_format=None) -> np.ndarray:
    """The gradient of :func:`max_pool` with respect to its inputs.

    Each output gradient goes to the input that was its window's maximum, the position
    ``argmax`` recorded; where windows overlap, the gradients reaching one input add up. On
    ties the first maximum gets it all, as ``jax.vjp`` of Keras's ``MaxPooling`` gives.

    Parameters
    ----------
    output_gradient : array_like of float
        The loss gradient with respect to the pooled output, of the output's shape.
    argmax : numpy.ndarray of int32
        The second result of :func:`max_pool_with_argmax` on the forward inputs, with the same
        pooling arguments.
    input_shape : tuple of int
        The shape of the forward inputs.
    pool_size, strides, padding, data_format
        As given to the forward :func:`max_pool_with_argmax`.

    Returns
    -------
    numpy.ndarray
        Of shape ``input_shape``, in ``output_gradient``'s float dtype (float64 stays float64,
        otherwise float32); inputs that were no window's maximum get 0.

    Raises
    ------
    ValueError
        For an ``input_shape`` without 3, 4 or 5 dimensions, an ``output_gradient`` not of the
        pooled shape, an ``argmax`` that is not an int32 array of that shape, or bad pooling
        arguments (as for :func:`max_pool`).
    TypeError
        For an integer, complex or other non-float ``output_gradient``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.array([[[1.0], [3.0], [3.0], [2.0]]])
    >>> outputs, argmax = ops.max_pool_with_argmax(x, 2, strides=1)  # maxima at steps 1, 1, 2
    >>> ops.max_pool_gradient(np.ones_like(outputs), argmax, x.shape, 2, strides=1)[0, :, 0]
    array([0., 2., 1., 0.])
    """
    dy, geo = _gradient_geometry(output_gradient, input_shape, pool_size, strides, padding,
                                 data_format, "max_pool_gradient")
    arg = np.asarray(argmax)
    if arg.dtype != np.int32 or arg.shape != geo.output_shape:
        raise ValueError(f"max_pool_gradient: `argmax` must be the int32 array of shape "
                         f"{geo.output_shape} that max_pool_with_argmax returned. Received "
                         f"dtype {arg.dtype}, shape {tuple(arg.shape)}.")
    return _run_gradient(_pool.max_pool_grad, dy, geo, arg)


def average_pool_gradient(output_gradient, input_shape, pool_size, strides=None,
                          padding="valid", data_format=None) -> np.ndarray:
    """The gradient of :func:`average_pool` with respect to its inputs.

    Each output gradient is divided by the number of real inputs its window averaged and
    given to each of them; an input covered by several windows sums their shares.

    Parameters
    ----------
    output_gradient : array_like of float
        The loss gradient with respect to the pooled output, of the output's shape.
    input_shape : tuple of int
        The shape of the forward inputs.
    pool_size, strides, padding, data_format
        As given to the forward :func:`average_pool`.

    Returns
    -------
    numpy.ndarray
        Of shape ``input_shape``, in ``output_gradient``'s float dtype (float64 stays float64,
        otherwise float32); inputs no window covers get 0.

    Raises
    ------
    ValueError
        For an ``input_shape`` without 3, 4 or 5 dimensions, an ``output_gradient`` not of the
        pooled shape, or bad pooling arguments (as for :func:`average_pool`).
    TypeError
        For an integer, complex or other non-float ``output_gradient``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> # 3 steps, windows of 2 under "same": [x0, x1] and the border window [x2] alone
    >>> ops.average_pool_gradient(np.ones((1, 2, 1)), (1, 3, 1), 2, padding="same")[0, :, 0]
    array([0.5, 0.5, 1. ])
    """
    dy, geo = _gradient_geometry(output_gradient, input_shape, pool_size, strides, padding,
                                 data_format, "average_pool_gradient")
    return _run_gradient(_pool.avg_pool_grad, dy, geo)


# ---------------------------------------------------------------------------------------------
# the layers' routing of max pooling's gradient

# Windows of up to this many taps are routed by a one-byte offset inside the window
# (``_pool.max_pool_taps``); larger ones by the int32 flat index of max_pool_with_argmax.
MAX_OFFSET_TAPS = 256


class MaxRouting:
    """Where each window's first maximum lies, for :func:`max_pool_routing_gradient`: the
    pooling arguments and either one ``uint8`` offset inside the window per output value
    (windows of at most ``MAX_OFFSET_TAPS`` taps) or ``int32`` flat indices, kept in the
    kernels' ``(N, D, H, W, C)`` layout (no transpose back and forth for channels_first).
    Opaque: only the two functions below read it."""

    __slots__ = ("arguments", "input_shape", "offsets", "argmax")

    def __init__(self, arguments, input_shape, offsets=None, argmax=None):
        self.arguments = arguments
        self.input_shape = input_shape
        self.offsets = offsets
        self.argmax = argmax


def max_pool_routing(inputs, pool_size, strides=None, padding="valid", data_format=None,
                     outputs=True):
    """Max pooling for a backward pass: ``(outputs, routing)``.

    What :func:`max_pool_with_argmax` computes, with the routing recorded as one byte per
    output value (the tap of the first maximum inside its window) rather than four, and the
    maxima themselves skipped when ``outputs`` is False (``Layer.backward(x, dy)`` needs only
    the routing): the forward writes 1/8 of the bytes it did for the routing. The gradient
    from it has the same bits as :func:`max_pool_gradient` from the argmax.

    Parameters
    ----------
    inputs, pool_size, strides, padding, data_format
        As for :func:`max_pool`.
    outputs : bool, default True
        Whether to compute and return the pooled values (else ``None`` comes back for them).

    Returns
    -------
    outputs : numpy.ndarray or None
        What :func:`max_pool` returns, or None.
    routing : MaxRouting
        For :func:`max_pool_routing_gradient`.

    Raises
    ------
    ValueError, TypeError
        As for :func:`max_pool`.
    """
    x, geo = _prepare(inputs, pool_size, strides, padding, data_format, "max_pool")
    rank = x.ndim - 2
    arguments = pool_arguments(pool_size, strides, padding, data_format, rank)
    fmt = geo.data_format
    out5 = _kernel_shape(geo.output_shape, fmt)
    y5 = np.empty(out5, dtype=x.dtype) if outputs else None
    work = x.nbytes + math.prod(out5) * (x.itemsize * bool(outputs) + 1 + geo.window)
    if geo.window > MAX_OFFSET_TAPS:
        argmax = np.empty(out5, dtype=np.int32)
        y5 = np.empty(out5, dtype=x.dtype) if y5 is None else y5
        routing = MaxRouting(arguments, x.shape, argmax=argmax)
        if argmax.size:
            _pool.max_pool(_arrays.to_kernel_layout(x, fmt), y5, argmax, *geo.args,
                           threads_for(work))
    else:
        offsets = np.empty(out5, dtype=np.uint8)
        routing = MaxRouting(arguments, x.shape, offsets=offsets)
        if offsets.size:
            _pool.max_pool_taps(_arrays.to_kernel_layout(x, fmt), y5, offsets, *geo.args,
                                threads_for(work))
    y = _from_kernel(y5, geo.output_shape, fmt) if outputs else None
    return y, routing


def max_pool_routing_gradient(output_gradient, routing: MaxRouting) -> np.ndarray:
    """The gradient of max pooling with respect to its inputs, from :func:`max_pool_routing`.

    Parameters
    ----------
    output_gradient : array_like of float
        The loss gradient with respect to the pooled output, of the output's shape.
    routing : MaxRouting
        What :func:`max_pool_routing` returned for the forward inputs.

    Returns
    -------
    numpy.ndarray
        As :func:`max_pool_gradient` returns (the same bits).

    Raises
    ------
    ValueError
        For an ``output_gradient`` not of the pooled shape.
    TypeError
        For a ``routing`` that is not a MaxRouting, or an integer, complex or other non-float
        ``output_gradient``.
    """
    if not isinstance(routing, MaxRouting):
        raise TypeError("max_pool_routing_gradient: `routing` must be the MaxRouting that "
                        f"max_pool_routing returned. Received {type(routing).__name__}.")
    dy, geo = _gradient_geometry(output_gradient, routing.input_shape, *routing.arguments,
                                 "max_pool_routing_gradient")
    if routing.offsets is not None:
        return _run_gradient(_pool.max_pool_taps_grad, dy, geo, routing.offsets,
                             extra_in_kernel_layout=True)
    return _run_gradient(_pool.max_pool_grad, dy, geo, routing.argmax,
                         extra_in_kernel_layout=True)


# ---------------------------------------------------------------------------------------------
# global pooling


def check_keepdims(keepdims) -> bool:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"`keepdims` must be True or False. Received: keepdims={keepdims!r}")
    return bool(keepdims)


def global_output_shape(input_shape, data_format, keepdims) -> tuple:
    """``(batch, channels)``, or with ``keepdims`` the input shape with spatial dims 1."""
    shape = tuple(input_shape)
    rank = len(shape) - 2
    chans = shapes.channels(shape, data_format)
    if not keepdims:
        return (shape[0], chans)
    if data_format == "channels_first":
        return (shape[0], chans, *(1,) * rank)
    return (shape[0], *(1,) * rank, chans)


def _global_3d(x: np.ndarray, data_format: str) -> np.ndarray:
    """``(N, P, C)`` channels-last array over which to reduce axis 1 (channels_first data are
    transposed once: summing one channel at a time along P would be a scalar dependency
    chain)."""
    x5 = _arrays.to_kernel_layout(x, data_format)
    return x5.reshape(x5.shape[0], -1, x5.shape[-1])


def _global_prepare(inputs, data_format, keepdims, who):
    x = _arrays.as_array(inputs)
    _spatial_rank(x.ndim, who)
    data_format = standardize_data_format(data_format)
    keepdims = check_keepdims(keepdims)
    x = np.ascontiguousarray(x, dtype=_arrays.compute_dtype(x))
    if x.shape[0] * shapes.channels(x, data_format) and \
            not math.prod(shapes.spatial_shape(x, data_format)):
        raise ValueError(f"{who}: `inputs` has a zero-length spatial axis, nothing to pool. "
                         f"Received shape {tuple(x.shape)}.")
    return x, data_format, keepdims


def _global(x, data_format, keepdims, is_max):
    n, c = x.shape[0], shapes.channels(x, data_format)
    out = np.empty((n, c), dtype=x.dtype)
    if out.size:
        x3 = _global_3d(x, data_format)
        _pool.global_pool(x3, out.reshape(x3.shape[0], x3.shape[2]), is_max,
                          threads_for(x.nbytes))
    return out.reshape(global_output_shape(x.shape, data_format, keepdims))


def global_max_pool(inputs, data_format=None, keepdims=False) -> np.ndarray:
    """Max over every spatial axis (Keras ``GlobalMaxPooling1D/2D/3D``); NaN propagates.

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``,
        1 to 3 spatial axes. float64 stays float64; anything else computes in float32.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.
    keepdims : bool, default False
        Keep the spatial axes, with length 1.

    Returns
    -------
    numpy.ndarray
        ``(batch, channels)``, or with ``keepdims`` the input's shape with every spatial axis
        of length 1.

    Raises
    ------
    ValueError
        For ``inputs`` without 3, 4 or 5 dimensions, with a zero-length spatial axis (nothing
        to take the maximum of), or an unknown ``data_format``.
    TypeError
        For a ``keepdims`` that is not True or False, or complex, string or object
        ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.global_max_pool(np.arange(6.0).reshape(1, 3, 2))
    array([[4., 5.]])
    """
    x, data_format, keepdims = _global_prepare(inputs, data_format, keepdims,
                                               "global_max_pool")
    return _global(x, data_format, keepdims, True)


def global_average_pool(inputs, data_format=None, keepdims=False) -> np.ndarray:
    """Mean over every spatial axis (Keras ``GlobalAveragePooling1D/2D/3D``, without a mask).

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, channels)`` (channels_last) or ``(batch, channels, *spatial)``,
        1 to 3 spatial axes. float64 stays float64; anything else computes in float32.
    data_format : {"channels_last", "channels_first"}, optional
        ``None`` means :func:`convkit.config.image_data_format`.
    keepdims : bool, default False
        Keep the spatial axes, with length 1.

    Returns
    -------
    numpy.ndarray
        ``(batch, channels)``, or with ``keepdims`` the input's shape with every spatial axis
        of length 1.

    Raises
    ------
    ValueError
        For ``inputs`` without 3, 4 or 5 dimensions, with a zero-length spatial axis, or an
        unknown ``data_format``.
    TypeError
        For a ``keepdims`` that is not True or False, or complex, string or object
        ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.global_average_pool(np.arange(6.0).reshape(1, 3, 2), keepdims=True)
    array([[[2., 3.]]])
    """
    x, data_format, keepdims = _global_prepare(inputs, data_format, keepdims,
                                               "global_average_pool")
    sums = _global(x, data_format, keepdims, False)
    count = math.prod(shapes.spatial_shape(x, data_format))
    return sums / sums.dtype.type(max(count, 1))


def _global_gradient_shape(dy, input_shape, data_format, keepdims, who):
    data_format = standardize_data_format(data_format)
    keepdims = check_keepdims(keepdims)
    input_shape = tuple(int(d) for d in input_shape)
    _spatial_rank(len(input_shape), who, "input_shape")
    g = _arrays.as_array(dy, "output_gradient")
    if g.dtype.kind != "f":
        raise TypeError(f"{who}: `output_gradient` must be a floating-point array. "
                        f"Received an array of dtype {g.dtype}.")
    want = global_output_shape(input_shape, data_format, keepdims)
    if g.shape != want:
        raise ValueError(f"{who}: `output_gradient` must have shape {want} for inputs of "
                         f"shape {input_shape}. Received shape {tuple(g.shape)}.")
    n, c = input_shape[0], shapes.channels(input_shape, data_format)
    g = np.ascontiguousarray(g, dtype=_arrays.compute_dtype(g)).reshape(n, c)
    # broadcastable against the input: (N, 1.., C) or (N, C, 1..)
    rank = len(input_shape) - 2
    bshape = (n, c, *(1,) * rank) if data_format == "channels_first" else (n, *(1,) * rank, c)
    return g.reshape(bshape), data_format


def global_average_pool_gradient(output_gradient, input_shape, data_format=None,
                                 keepdims=False) -> np.ndarray:
    """The gradient of :func:`global_average_pool`: ``dy / count`` at every position.

    Parameters
    ----------
    output_gradient : array_like of float
        The loss gradient with respect to the pooled output: ``(batch, channels)``, or the
        ``keepdims`` shape.
    input_shape : tuple of int
        The shape of the forward inputs; ``count`` is the product of its spatial axes.
    data_format, keepdims
        As given to the forward :func:`global_average_pool`.

    Returns
    -------
    numpy.ndarray
        Of shape ``input_shape``, in ``output_gradient``'s float dtype (float64 stays float64,
        otherwise float32).

    Raises
    ------
    ValueError
        For an ``input_shape`` without 3, 4 or 5 dimensions, an ``output_gradient`` not of the
        pooled shape, or an unknown ``data_format``.
    TypeError
        For an integer, complex or other non-float ``output_gradient``, or a ``keepdims``
        that is not True or False.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.global_average_pool_gradient(np.array([[4.0]]), (1, 4, 1))[0, :, 0]
    array([1., 1., 1., 1.])
    """
    g, data_format = _global_gradient_shape(output_gradient, input_shape, data_format,
                                            keepdims, "global_average_pool_gradient")
    count = math.prod(shapes.spatial_shape(tuple(input_shape), data_format))
    dx = np.empty(tuple(input_shape), dtype=g.dtype)
    dx[...] = g / g.dtype.type(max(count, 1))
    return dx


def global_max_pool_gradient(output_gradient, inputs, outputs, data_format=None,
                             keepdims=False) -> np.ndarray:
    """The gradient of :func:`global_max_pool` for ``inputs`` and its ``outputs``.

    Each output gradient goes to the positions equal to its channel's maximum, split evenly
    when several are (``jnp.max``'s rule on ties); a channel whose maximum is NaN gets none.

    Parameters
    ----------
    output_gradient : array_like of float
        The loss gradient with respect to the pooled output: ``(batch, channels)``, or the
        ``keepdims`` shape.
    inputs : array_like
        The forward inputs.
    outputs : array_like
        What :func:`global_max_pool` returned for them.
    data_format, keepdims
        As given to the forward :func:`global_max_pool`.

    Returns
    -------
    numpy.ndarray
        Of the shape of ``inputs``, in ``output_gradient``'s float dtype (float64 stays
        float64, otherwise float32).

    Raises
    ------
    ValueError
        For ``inputs`` without 3, 4 or 5 dimensions, an ``output_gradient`` not of the pooled
        shape, ``outputs`` of another size than one value per image and channel, or an
        unknown ``data_format``.
    TypeError
        For an integer, complex or other non-float ``output_gradient``, or a ``keepdims``
        that is not True or False.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.array([[[1.0], [3.0], [3.0], [2.0]]])  # the maximum 3 appears twice
    >>> y = ops.global_max_pool(x)
    >>> ops.global_max_pool_gradient(np.ones_like(y), x, y)[0, :, 0]
    array([0. , 0.5, 0.5, 0. ])
    """
    x = np.asarray(inputs)
    g, data_format = _global_gradient_shape(output_gradient, x.shape, data_format, keepdims,
                                            "global_max_pool_gradient")
    y = np.asarray(outputs, dtype=x.dtype).reshape(g.shape)
    hits = x == y
    spatial_axes = tuple(range(2, x.ndim)) if data_format == "channels_first" else \
        tuple(range(1, x.ndim - 1))
    count = hits.sum(axis=spatial_axes, keepdims=True).astype(g.dtype)
    # a channel whose max is NaN has no hit: jax gives it no gradient either
    share = np.divide(g, count, out=np.zeros_like(g), where=count > 0)
    return np.where(hits, share, g.dtype.type(0)).astype(g.dtype, copy=False)
