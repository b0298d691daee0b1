"""Max and average pooling, windowed and global (Keras 3 semantics on the jax backend,
docs/design/keras_parity.md).

* ``"same"`` pads like Keras (an odd extra goes after), but no padded copy is made: each window
  is clipped to the input. Max pooling then ignores the padding (jax pads with ``-inf``) and
  average pooling divides by the number of real inputs in the window, as Keras on jax does.
* The forward pass can record where each window's first maximum lies (``argmax``) so the
  backward pass needs no second search. The layers record it more compactly
  (:func:`max_pool_routing`: one byte per output, the maxima optional).

The gradients live in :mod:`convkit.ops.pooling_grad` and the shared argument checks and
geometry in :mod:`convkit.ops._pool_geometry`; this module re-exports both, so every pooling
name is still importable from here.

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
from ._pool_geometry import (
    MAX_OFFSET_TAPS,
    MaxRouting,
    _from_kernel,
    _Geometry,
    _kernel_shape,
    _spatial_rank,
    check_keepdims,
    global_output_shape,
    pool_arguments,
    pool_output_shape,
)
from .arguments import standardize_data_format
from .pooling_grad import (
    average_pool_gradient,
    global_average_pool_gradient,
    global_max_pool_gradient,
    max_pool_gradient,
    max_pool_routing_gradient,  # noqa: F401  (the layers' routing, re-exported with its forward)
)

_pool = _kernels.load("_pool")

__all__ = ["average_pool", "average_pool_gradient", "global_average_pool",
           "global_average_pool_gradient", "global_max_pool", "global_max_pool_gradient",
           "max_pool", "max_pool_gradient", "max_pool_with_argmax", "pool_output_shape"]


# ---------------------------------------------------------------------------------------------
# forward intake


def _prepare(inputs, pool_size, strides, padding, data_format, who):
    x = _arrays.as_array(inputs)
    rank = _spatial_rank(x.ndim, who)
    pool_size, strides, padding, data_format = pool_arguments(pool_size, strides, padding,
                                                              data_format, rank)
    x = np.ascontiguousarray(x, dtype=_arrays.compute_dtype(x))
    return x, _Geometry(x.shape, pool_size, strides, padding, data_format)


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


# ---------------------------------------------------------------------------------------------
# the layers' routing of max pooling's gradient


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


# ---------------------------------------------------------------------------------------------
# global pooling


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
