"""Gradients of the depthwise and separable convolutions (issue 13, DESIGN.md §6).

For ``y = depthwise_conv(x, K)`` with ``K`` of shape ``kernel_size + (C, M)`` (output channel
``q = c*M + m``) and a loss gradient ``dy``:

* ``dx`` is a transposed depthwise convolution of ``dy`` with ``K``, computed by the compiled
  kernel ``_depthwise_grad`` as a gather (each input position collects its outputs' taps);
* ``dK[t, c, m] = sum_{n, o} x[n, o*s - pad + t*d, c] * dy[n, o, c*M + m]``, a per-channel
  correlation whose sums run in an order fixed by the shapes (bit-identical for any thread
  count);
* ``db`` is :func:`convkit.ops.bias_gradient`.

``separable_conv`` is that depthwise step (no bias) followed by a 1x1 convolution ``P``
(``(C*M, F)``), a channel mix: its gradients need the intermediate ``u = depthwise_conv(x,
K)``, then ``dP = u^T dz``, ``du = dz P^T`` and the depthwise gradients of ``du``. A training
pass asks the fused forward kernel to store ``u`` as well
(:func:`separable_forward_keeping_intermediate`) and hands it to the backward pass; the
public :func:`separable_gradients` recomputes it.

The kernel-layout forms that call the compiled kernels (``input_gradient_5d``,
``kernel_gradient_5d``, ``separable_gradients_5d`` and the pointwise products) are in
:mod:`convkit.ops._depthwise_grad_5d`; this module checks the arguments, moves them to and
from that layout, and re-exports those names, where callers have always found them.
"""

import numpy as np

from . import _arrays, shapes
from ._depthwise_grad_5d import (  # noqa: F401  (re-exported, see the module docstring)
    _dims,
    _dw,
    _grad,
    _input_gradient_by_flipped_conv,
    _transposed_blocks,
    input_gradient_5d,
    kernel_gradient_5d,
    pointwise_5d,
    pointwise_kernel_gradient_2d,
    separable_gradients_5d,
)
from ._geometry import conv_geometry
from .arguments import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from .depthwise import _separable, depthwise_conv

__all__ = ["depthwise_input_gradient", "depthwise_kernel_gradient", "separable_gradients"]


def _check_output_gradient(dy, geometry, channels, who) -> None:
    got = tuple(dy.shape[1:4]) + (dy.shape[-1],)
    want = tuple(geometry.out_spatial) + (channels,)
    if got != want:
        raise ValueError(f"{who}: `output_gradient` must have the op's output shape: spatial "
                         f"{geometry.rank_out_spatial} and {channels} channels "
                         f"(in_channels * depth_multiplier). Received spatial "
                         f"{got[3 - len(geometry.rank_out_spatial):3]} and {got[3]} channels.")


def separable_forward_keeping_intermediate(inputs, depthwise_kernel, pointwise_kernel,
                                           strides=1, padding="valid", data_format=None,
                                           dilation_rate=1, *, bias=None,
                                           activation=None) -> tuple:
    """``(separable_conv(...), u5)``: the fused kernel also stores the depthwise intermediate
    ``u5`` (kernel layout ``(N, Do, Ho, Wo, C*M)``, channels ``c*M + m``) for
    :func:`separable_gradients_from_intermediate`; ``u5`` is None for an empty output or no
    channels. Arguments and errors as :func:`convkit.ops.separable_conv`."""
    return _separable(inputs, depthwise_kernel, pointwise_kernel, strides, padding,
                      data_format, dilation_rate, bias, activation, keep=True)

def _fitting_operands(inputs, kernel, output_gradient, data_format, who, name="kernel"):
    """``(x, kernel, dy)`` as arrays, after checking that the depthwise ``kernel`` fits the
    inputs' rank and channels and the output gradient's rank and batch."""
    x = _arrays.as_array(inputs, "inputs")
    k = _kernel_operand(kernel, who, name)
    dy = _float_operand(output_gradient, "output_gradient", who)
    rank = k.ndim - 2
    if x.ndim != rank + 2 or dy.ndim != rank + 2 \
            or shapes.channels(x, data_format) != k.shape[-2] or dy.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: a {name} of shape {tuple(k.shape)} does not fit inputs of "
                         f"shape {tuple(x.shape)} and an output gradient of shape "
                         f"{tuple(dy.shape)}.")
    return x, k, dy


def _kernel_operand(kernel, who, name="kernel") -> np.ndarray:
    k = _arrays.as_array(kernel, name)
    if k.ndim not in (3, 4, 5):
        raise ValueError(f"{who}: `{name}` must have rank 3, 4 or 5 (kernel_size + "
                         f"(in_channels, depth_multiplier)). Received shape {tuple(k.shape)}.")
    if 0 in k.shape:
        raise ValueError(f"{who}: `{name}` must have no zero-sized axis. Received shape "
                         f"{tuple(k.shape)}.")
    return k


def _float_operand(value, name, who) -> np.ndarray:
    arr = _arrays.as_array(value, name)
    if arr.dtype.kind != "f":
        raise TypeError(f"{who}: `{name}` must be a floating-point array (float32 or "
                        f"float64). Received an array of dtype {arr.dtype}.")
    return arr


def depthwise_input_gradient(output_gradient, kernel, input_shape, strides=1, padding="valid",
                             data_format=None, dilation_rate=1) -> np.ndarray:
    """Gradient of ``depthwise_conv(x, kernel, ...)`` with respect to ``x``.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``depthwise_conv``'s output (``C * depth_multiplier`` channels).
    kernel : array_like
        ``kernel_size + (C, depth_multiplier)`` (Keras layout).
    input_shape : tuple of int
        The forward input's shape, in ``data_format``.
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.depthwise_conv`.

    Returns
    -------
    numpy.ndarray
        Of shape ``input_shape``; inputs no output reads get 0.

    Raises
    ------
    ValueError
        For a ``kernel`` not of rank 3, 4 or 5 or with a zero-sized axis; an ``input_shape``
        or ``output_gradient`` whose rank does not match the kernel's; a kernel whose input
        channels or an output gradient whose batch does not match ``input_shape``; an
        ``output_gradient`` not of the convolution's output shape; or bad ``strides``,
        ``padding`` (``"valid"`` or ``"same"``), ``data_format`` or ``dilation_rate``.
    TypeError
        For an integer or other non-float ``output_gradient``, or a complex, string or object
        ``kernel``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.depthwise_input_gradient(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (1, 4, 1),
    ...                              strides=2)[0, :, 0]
    array([1., 1., 1., 1.])
    """
    who = "depthwise_input_gradient"
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)  # depthwise/separable: no causal
    dy = _float_operand(output_gradient, "output_gradient", who)
    k = _kernel_operand(kernel, who)
    rank = k.ndim - 2
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != rank + 2 or dy.ndim != rank + 2:
        raise ValueError(f"{who}: `input_shape` and `output_gradient` must have rank {rank + 2} "
                         f"for a rank-{rank + 2} kernel. Received {shape} and "
                         f"{tuple(dy.shape)}.")
    c, m = k.shape[-2:]
    if shapes.channels(shape, data_format) != c or dy.shape[0] != shape[0]:
        raise ValueError(f"{who}: a kernel of shape {tuple(k.shape)} does not fit inputs of "
                         f"shape {shape} and an output gradient of shape {tuple(dy.shape)}.")
    geometry = conv_geometry(shapes.spatial_shape(shape, data_format), k.shape[:rank], strides,
                             padding, dilation_rate, who=who)
    dtype = _arrays.compute_dtype(dy, k)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    _check_output_gradient(dy5, geometry, c * m, who)
    k5 = np.asarray(k, dtype=dtype).reshape(*geometry.kernel_spatial, c, m)
    return _arrays.from_kernel_layout(input_gradient_5d(dy5, k5, geometry), rank, data_format)


def depthwise_kernel_gradient(inputs, output_gradient, kernel_size, strides=1, padding="valid",
                              data_format=None, dilation_rate=1) -> np.ndarray:
    """Gradient of ``depthwise_conv(inputs, kernel, ...)`` with respect to ``kernel``.

    ``dK[t, c, m] = sum over batch and output positions of x[n, o*s - pad + t*d, c] *
    dy[n, o, c*M + m]``, by a parallel compiled kernel whose sums run in an order fixed by the
    shapes: the result is bit-identical for any thread count.

    Parameters
    ----------
    inputs, output_gradient : array_like
        The forward input and the gradient with respect to the forward output; the depth
        multiplier is ``output channels // input channels``.
    kernel_size : int or tuple of int
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.depthwise_conv`.

    Returns
    -------
    numpy.ndarray
        ``kernel_size + (C, depth_multiplier)``, the Keras depthwise kernel layout.

    Raises
    ------
    ValueError
        For ``inputs`` and ``output_gradient`` not both of rank 3, 4 or 5; an
        ``output_gradient`` whose batch differs from the inputs' or whose channels are not a
        positive multiple of theirs, or not of the convolution's output shape; a window
        larger than a ``"valid"`` input; or bad ``kernel_size``, ``strides``, ``padding``
        (``"valid"`` or ``"same"``), ``data_format`` or ``dilation_rate``.
    TypeError
        For an integer or other non-float ``output_gradient``, or complex, string or object
        ``inputs``.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.arange(4.0).reshape(1, 4, 1)
    >>> ops.depthwise_kernel_gradient(x, np.ones((1, 3, 2)), 2)[:, 0, :]
    array([[3., 3.],
           [6., 6.]])
    """
    who = "depthwise_kernel_gradient"
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)  # depthwise/separable: no causal
    x = _arrays.as_array(inputs, "inputs")
    dy = _float_operand(output_gradient, "output_gradient", who)
    rank = x.ndim - 2
    if rank not in (1, 2, 3) or dy.ndim != x.ndim:
        raise ValueError(f"{who}: `inputs` and `output_gradient` must both have rank 3, 4 or 5. "
                         f"Received {tuple(x.shape)} and {tuple(dy.shape)}.")
    kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
    c, f = shapes.channels(x, data_format), shapes.channels(dy, data_format)
    if c == 0 or f == 0 or f % c or dy.shape[0] != x.shape[0]:
        raise ValueError(f"{who}: `output_gradient` must have the batch of `inputs` and a "
                         "positive multiple of its channels (in_channels * depth_multiplier). "
                         f"Received inputs of shape {tuple(x.shape)} and output_gradient of "
                         f"shape {tuple(dy.shape)}.")
    geometry = conv_geometry(shapes.spatial_shape(x, data_format), kernel_size, strides, padding,
                             dilation_rate, who=who)
    dtype = _arrays.compute_dtype(x, dy)
    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    _check_output_gradient(dy5, geometry, f, who)
    dk = kernel_gradient_5d(x5, dy5, geometry)
    return dk.reshape(kernel_size + dk.shape[-2:])


def separable_gradients(inputs, depthwise_kernel, pointwise_kernel, output_gradient, strides=1,
                        padding="valid", data_format=None, dilation_rate=1) -> tuple:
    """Gradients of ``separable_conv(inputs, depthwise_kernel, pointwise_kernel, ...)`` (before
    its bias and activation) with respect to its three array arguments.

    Parameters
    ----------
    inputs : array_like
    depthwise_kernel : array_like
        ``kernel_size + (C, depth_multiplier)``.
    pointwise_kernel : array_like
        ``(1,) * rank + (C * depth_multiplier, filters)``.
    output_gradient : array_like
        Shaped like ``separable_conv``'s output.
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.separable_conv`.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d inputs, d depthwise_kernel, d pointwise_kernel)``, each of its argument's shape.

    Raises
    ------
    ValueError
        For a ``depthwise_kernel`` not of rank 3, 4 or 5 or not fitting the inputs' rank and
        channels; an ``output_gradient`` of another batch or not of the convolution's output
        shape; a ``pointwise_kernel`` not of shape ``(1,) * rank + (C * depth_multiplier,
        filters)`` with ``filters`` the output gradient's channels; or bad ``strides``,
        ``padding`` (``"valid"`` or ``"same"``), ``data_format`` or ``dilation_rate``.
    TypeError
        For an integer or other non-float ``output_gradient``, or complex, string or object
        inputs or kernels.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> dx, ddw, dpw = ops.separable_gradients(np.ones((1, 3, 1)), np.ones((2, 1, 1)),
    ...                                        np.full((1, 1, 2), 0.5), np.ones((1, 2, 2)))
    >>> dx[0, :, 0], ddw[:, 0, 0], dpw[0, 0]
    (array([1., 2., 1.]), array([2., 2.]), array([4., 4.]))
    """
    who = "separable_gradients"
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)  # depthwise/separable: no causal
    x, k, dy = _fitting_operands(inputs, depthwise_kernel, output_gradient, data_format, who,
                                 "depthwise_kernel")
    p = _arrays.as_array(pointwise_kernel, "pointwise_kernel")
    rank = k.ndim - 2
    c, m = k.shape[-2:]
    if p.ndim != rank + 2 or any(s != 1 for s in p.shape[:rank]) or p.shape[-2] != c * m \
            or p.shape[-1] != shapes.channels(dy, data_format):
        raise ValueError(f"{who}: `pointwise_kernel` must have shape {(1,) * rank} + "
                         f"({c * m}, filters) with filters = the output gradient's channels. "
                         f"Received pointwise_kernel of shape {tuple(p.shape)} and "
                         f"output_gradient of shape {tuple(dy.shape)}.")
    geometry = conv_geometry(shapes.spatial_shape(x, data_format), k.shape[:rank], strides,
                             padding, dilation_rate, who=who)
    dtype = _arrays.compute_dtype(x, k, p, dy)
    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    f = p.shape[-1]
    _check_output_gradient(dy5, geometry, f, who)
    k5 = np.asarray(k, dtype=dtype).reshape(*geometry.kernel_spatial, c, m)
    p2 = np.asarray(p, dtype=dtype).reshape(c * m, f)
    # the intermediate u, channels q = c*M + m, as the forward kernel computed it (no bias)
    # (the singleton axes of the 5-D form are the same under "same" and "valid")
    u5 = depthwise_conv(x5, k5, strides=geometry.strides, padding=padding,
                        data_format="channels_last", dilation_rate=geometry.dilation)
    dx5, d_depthwise, d_pointwise = separable_gradients_5d(x5, k5, p2, dy5, u5, geometry)
    return (_arrays.from_kernel_layout(dx5, rank, data_format), d_depthwise.reshape(k.shape),
            d_pointwise.reshape(p.shape))


def transposed_pointwise_blocks(pointwise_kernel) -> np.ndarray:
    """A separable layer's pointwise kernel ``(1,) * rank + (C*M, F)`` as the packed ``P^T``
    the backward pass multiplies by (layers cache it per weight value)."""
    p = _arrays.as_array(pointwise_kernel, "pointwise_kernel")
    p2 = p.reshape(-1, p.shape[-1]).astype(_arrays.compute_dtype(p), copy=False)
    return _transposed_blocks(p2)


def separable_gradients_from_intermediate(inputs, depthwise_kernel, pointwise_kernel,
                                          output_gradient, depthwise_output, strides=1,
                                          padding="valid", data_format=None, dilation_rate=1,
                                          transposed_blocks=None, bias=False) -> tuple:
    """:func:`separable_gradients` given the depthwise intermediate ``depthwise_output`` that
    :func:`separable_forward_keeping_intermediate` returned for the same ``inputs`` and
    ``depthwise_kernel`` (not recomputed). ``transposed_blocks``: what
    :func:`transposed_pointwise_blocks` returns for ``pointwise_kernel``, or None. With
    ``bias=True`` the gradient of the bias (``output_gradient`` summed over everything but its
    channels) follows, taken in the same pass as the pointwise kernel's."""
    who = "separable_gradients"
    data_format = standardize_data_format(data_format)
    x = _arrays.as_array(inputs, "inputs")
    k = _kernel_operand(depthwise_kernel, who, "depthwise_kernel")
    p = _arrays.as_array(pointwise_kernel, "pointwise_kernel")
    dy = _float_operand(output_gradient, "output_gradient", who)
    rank = k.ndim - 2
    c, m = k.shape[-2:]
    f = p.shape[-1]
    dtype = _arrays.compute_dtype(x, k, p, dy)
    u5 = depthwise_output
    geometry = conv_geometry(shapes.spatial_shape(x, data_format), k.shape[:rank], strides,
                             standardize_padding(padding), dilation_rate, who=who)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    _check_output_gradient(dy5, geometry, f, who)
    if (not isinstance(u5, np.ndarray) or u5.dtype != dtype
            or u5.shape != dy5.shape[:-1] + (c * m,) or not u5.flags.c_contiguous):
        raise ValueError(f"{who}: `depthwise_output` must be the {dtype} intermediate "
                         f"(N, Do, Ho, Wo, C*M) = {dy5.shape[:-1] + (c * m,)} of the forward "
                         f"pass. Received {getattr(u5, 'shape', type(u5).__name__)}.")
    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    k5 = np.asarray(k, dtype=dtype).reshape(*geometry.kernel_spatial, c, m)
    p2 = np.asarray(p, dtype=dtype).reshape(c * m, f)
    if transposed_blocks is not None and transposed_blocks.dtype != dtype:
        transposed_blocks = None
    dx5, d_depthwise, d_pointwise, d_bias = separable_gradients_5d(
        x5, k5, p2, dy5, u5, geometry, transposed_blocks, bias=True)
    grads = (_arrays.from_kernel_layout(dx5, rank, data_format), d_depthwise.reshape(k.shape),
             d_pointwise.reshape(p.shape))
    return grads + (d_bias,) if bias else grads


def depthwise_gradients(inputs, kernel, output_gradient, strides=1, padding="valid",
                        data_format=None, dilation_rate=1, bias=False) -> tuple:
    """``(d inputs, d kernel)`` of ``depthwise_conv(inputs, kernel, ...)`` (before its bias
    and activation), and with ``bias=True`` the bias gradient too, summed in the pass over
    ``output_gradient`` that computes the kernel's: what a DepthwiseConv layer's backward
    pass needs, with the checks of :func:`depthwise_input_gradient` (the kernel gives the
    depth multiplier)."""
    who = "depthwise_gradients"
    data_format = standardize_data_format(data_format)
    x, k, dy = _fitting_operands(inputs, kernel, output_gradient, data_format, who)
    rank = k.ndim - 2
    c, m = k.shape[-2:]
    geometry = conv_geometry(shapes.spatial_shape(x, data_format), k.shape[:rank], strides,
                             standardize_padding(padding), dilation_rate, who=who)
    dtype = _arrays.compute_dtype(x, k, dy)
    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    _check_output_gradient(dy5, geometry, c * m, who)
    k5 = np.asarray(k, dtype=dtype).reshape(*geometry.kernel_spatial, c, m)
    dx = _arrays.from_kernel_layout(input_gradient_5d(dy5, k5, geometry), rank, data_format)
    dk, db = kernel_gradient_5d(x5, dy5, geometry, bias=True)
    return (dx, dk.reshape(k.shape)) + ((db,) if bias else ())
