"""Pure-NumPy reference for depthwise and separable convolution (the test oracle).

Written for clarity, independent of convkit's kernels and padding code, following
docs/design/keras_parity.md §4: depthwise = grouped convolution with ``groups = C`` and the kernel
reshaped ``(k..., C, M) -> (k..., 1, C*M)``; separable = depthwise (no bias), then a 1x1 convolution
with the pointwise kernel, then bias, then activation. Computes in the dtype of its inputs (float64
in, float64 out), so it is also the float64 reference.
"""

import math

import numpy as np


def same_pads(n: int, k: int, s: int, d: int) -> tuple:
    """Keras/TensorFlow "same": total padding, the odd extra at the end."""
    ek = (k - 1) * d + 1
    out = math.ceil(n / s)
    total = max((out - 1) * s + ek - n, 0)
    return total // 2, total - total // 2


def grouped_conv(x, kernel, strides, padding, dilation, groups):
    """Channels-last grouped convolution of ``x`` (N, *S, Cin) with ``kernel`` (k..., Cin/g, F).

    For every kernel tap take the strided window of the zero-padded input that the tap sees
    for all outputs, and accumulate ``window[group] @ kernel[tap, :, group]``.
    """
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [same_pads(n, k, s, d)
                for n, k, s, d in zip(x.shape[1:-1], ks, strides, dilation, strict=True)]
    else:
        pads = [(0, 0)] * rank
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_sizes = [(n - ((k - 1) * d + 1)) // s + 1
                 for n, k, s, d in zip(xp.shape[1:-1], ks, strides, dilation, strict=True)]
    cin_g = kernel.shape[-2]
    f = kernel.shape[-1]
    f_g = f // groups
    y = np.zeros((x.shape[0], *out_sizes, f), dtype=np.result_type(x, kernel))
    for tap in np.ndindex(*ks):
        window = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                       for t, d, o, s in zip(tap, dilation, out_sizes, strides, strict=True))
        xs = xp[(slice(None), *window)]
        for g in range(groups):
            y[..., g * f_g:(g + 1) * f_g] += (xs[..., g * cin_g:(g + 1) * cin_g]
                                              @ kernel[tap][:, g * f_g:(g + 1) * f_g])
    return y


def _tuple(v, rank):
    return (v,) * rank if isinstance(v, int) else tuple(v)


def _act(y, activation):
    if activation in (None, "linear"):
        return y
    assert activation == "relu"
    return np.where(y < 0, 0, y).astype(y.dtype)   # NaN stays NaN


def _channels_last(x, data_format):
    x = np.asarray(x)
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _finish(y, bias, activation, data_format):
    """Bias, activation, then back to ``data_format`` (``y`` is channels_last)."""
    if bias is not None:
        y = y + np.asarray(bias)
    y = _act(y, activation)
    if data_format == "channels_first":
        y = np.moveaxis(y, -1, 1)
    return np.ascontiguousarray(y)


def depthwise_conv(x, kernel, strides=1, padding="valid", data_format="channels_last",
                   dilation_rate=1, bias=None, activation=None):
    """Reference depthwise conv; ``kernel`` is ``kernel_size + (C, M)``."""
    x = _channels_last(x, data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    c, m = kernel.shape[-2:]
    grouped = kernel.reshape(*kernel.shape[:rank], 1, c * m)
    y = grouped_conv(x, grouped, _tuple(strides, rank), padding.lower(),
                     _tuple(dilation_rate, rank), groups=c)
    return _finish(y, bias, activation, data_format)


def separable_conv(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format="channels_last", dilation_rate=1, bias=None, activation=None):
    """Reference separable conv: depthwise (no bias), 1x1 conv, bias, activation."""
    x = _channels_last(x, data_format)
    rank = x.ndim - 2
    mid = depthwise_conv(x, depthwise_kernel, strides, padding, "channels_last", dilation_rate)
    y = grouped_conv(mid, np.asarray(pointwise_kernel), (1,) * rank, "valid", (1,) * rank,
                     groups=1)
    return _finish(y, bias, activation, data_format)


# ----------------------------------------------------------------------------- gradients
def grouped_conv_gradients(x, kernel, dy, strides, padding, dilation, groups):
    """``(dx, dkernel)`` of :func:`grouped_conv` for the channels-last output gradient ``dy``.

    The forward pass's loop run backwards: every tap's strided window of the padded input
    receives ``dy[group] @ kernel[tap, :, group].T`` and gives ``window[group].T @ dy[group]``
    to that tap's kernel slice; the padding is cut off ``dx`` at the end.
    """
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    if padding == "same":
        pads = [same_pads(n, k, s, d)
                for n, k, s, d in zip(x.shape[1:-1], ks, strides, dilation, strict=True)]
    else:
        pads = [(0, 0)] * rank
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    dxp = np.zeros_like(xp)
    dk = np.zeros_like(kernel)
    out_sizes = dy.shape[1:-1]
    cin_g, f = kernel.shape[-2], kernel.shape[-1]
    f_g = f // groups
    for tap in np.ndindex(*ks):
        window = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                       for t, d, o, s in zip(tap, dilation, out_sizes, strides, strict=True))
        xs = xp[(slice(None), *window)]
        for g in range(groups):
            cols, fcols = slice(g * cin_g, (g + 1) * cin_g), slice(g * f_g, (g + 1) * f_g)
            dys = dy[..., fcols]
            dxp[(slice(None), *window, cols)] += dys @ kernel[tap][:, fcols].T
            dk[tap][:, fcols] += (xs[..., cols].reshape(-1, cin_g).T
                                  @ dys.reshape(-1, f_g))
    inner = tuple(slice(b, b + n) for (b, _), n in zip(pads, x.shape[1:-1], strict=True))
    return dxp[(slice(None), *inner)], dk


def depthwise_gradients(x, kernel, dz, strides=1, padding="valid",
                        data_format="channels_last", dilation_rate=1):
    """``(dx, dkernel)`` of :func:`depthwise_conv` (before bias and activation) for ``dz``."""
    x, dz = _channels_last(x, data_format), _channels_last(dz, data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    c, m = kernel.shape[-2:]
    grouped = kernel.reshape(*kernel.shape[:rank], 1, c * m)
    dx, dk = grouped_conv_gradients(x, grouped, dz, _tuple(strides, rank), padding.lower(),
                                    _tuple(dilation_rate, rank), groups=c)
    if data_format == "channels_first":
        dx = np.moveaxis(dx, -1, 1)
    return np.ascontiguousarray(dx), dk.reshape(kernel.shape)


def separable_gradients(x, depthwise_kernel, pointwise_kernel, dz, strides=1, padding="valid",
                        data_format="channels_last", dilation_rate=1):
    """``(dx, d depthwise_kernel, d pointwise_kernel)`` of :func:`separable_conv` (before bias
    and activation) for ``dz``."""
    x, dz = _channels_last(x, data_format), _channels_last(dz, data_format)
    rank = x.ndim - 2
    mid = depthwise_conv(x, depthwise_kernel, strides, padding, "channels_last", dilation_rate)
    pk = np.asarray(pointwise_kernel)
    dmid, dpk = grouped_conv_gradients(mid, pk, dz, (1,) * rank, "valid", (1,) * rank, groups=1)
    dx, ddk = depthwise_gradients(x, depthwise_kernel, dmid, strides, padding, "channels_last",
                                  dilation_rate)
    if data_format == "channels_first":
        dx = np.moveaxis(dx, -1, 1)
    return np.ascontiguousarray(dx), ddk, dpk
