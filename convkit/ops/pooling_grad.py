"""The gradients of max and average pooling, windowed and global, with respect to their inputs
(Keras 3 semantics on the jax backend, docs/design/keras_parity.md).

* Max pooling's gradient goes, per window, to the *first* maximum in window order (depth, then
  height, then width), and overlapping windows add up: what ``jax.vjp`` of Keras's
  ``MaxPooling*`` gives on ties. The forward pass can record that position (``argmax``) so the
  backward pass needs no second search. The layers record it more compactly
  (:func:`convkit.ops.pooling.max_pool_routing`: one byte per output, the maxima optional).
* Average pooling's gradient divides each output gradient by the number of real inputs its
  window averaged (``"same"`` padding is not counted).
* Global max pooling's gradient is split evenly between tied maxima (``jnp.max``'s rule),
  global average pooling's is ``dy / count`` everywhere.

Kept apart from the forward ops (:mod:`convkit.ops.pooling`, which re-exports every name here)
as ``conv_grad`` is kept apart from ``conv``: the backward pass has its own intake (an output
gradient checked against the pooled shape) and its own ``_pool`` entry points. Both share the
argument checks and geometry of :mod:`convkit.ops._pool_geometry`.
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, shapes
from ._pool_geometry import (
    MaxRouting,
    _from_kernel,
    _Geometry,
    _kernel_shape,
    _spatial_rank,
    check_keepdims,
    global_output_shape,
    pool_arguments,
)
from .arguments import standardize_data_format

_pool = _kernels.load("_pool")

__all__ = ["average_pool_gradient", "global_average_pool_gradient", "global_max_pool_gradient",
           "max_pool_gradient", "max_pool_routing_gradient"]


# ---------------------------------------------------------------------------------------------
# windowed pooling


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
