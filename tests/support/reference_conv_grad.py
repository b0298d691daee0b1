"""Pure-NumPy gradients of the reference convolutions (the test oracle for the backward pass).

Written from the definitions, independently of convkit's ops: the forward conv reads padded
windows ``xp[t*d : t*d + (o-1)*s + 1 : s]`` per tap ``t``, so its gradients scatter ``dy``
back into the same windows (input) and contract each window with ``dy`` (kernel); the
transposed conv scatters ``x @ K[t].T`` into a full buffer cropped at ``c0``, so its gradients
read the same windows of the uncropped ``dy``. Float64 when fed float64. Groups split the
channel axes into equal slices.
"""

import itertools

import numpy as np

from tests.support.reference_conv import (
    _from_last,
    _to_last,
    _tuple,
    same_pads,
    transpose_crop,
    transpose_length,
)


def _conv_pads(n_in, ks, s, d, padding):
    pads = []
    for n, k, si, di in zip(n_in, ks, s, d, strict=True):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((di * (k - 1), 0))
        else:
            pads.append(same_pads(n, k, si, di))
    return pads


def conv_gradients(x, kernel, dy, strides=1, padding="valid", data_format="channels_last",
                   dilation_rate=1):
    """``(dx, dkernel)`` of ``reference_conv.conv(x, kernel, ...)`` for output gradient ``dy``."""
    x = _to_last(np.asarray(x), data_format)
    dy = _to_last(np.asarray(dy), data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s, d = _tuple(strides, rank), _tuple(dilation_rate, rank)
    pads = _conv_pads(x.shape[1:-1], ks, s, d, padding)
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    dxp = np.zeros_like(xp, dtype=np.result_type(x, kernel, dy))
    dk = np.zeros(kernel.shape, dtype=dxp.dtype)
    out_sp = dy.shape[1:-1]
    cg, f = kernel.shape[-2:]
    groups = x.shape[-1] // cg
    fg = f // groups
    lead = tuple(range(rank + 1))
    for tap in itertools.product(*[range(k) for k in ks]):
        window = (slice(None), *(slice(t * di, t * di + (o - 1) * si + 1, si)
                                 for t, di, si, o in zip(tap, d, s, out_sp, strict=True)))
        patch = xp[window]
        for g in range(groups):
            cs, fs = slice(g * cg, (g + 1) * cg), slice(g * fg, (g + 1) * fg)
            dk[tap][:, fs] = np.tensordot(patch[..., cs], dy[..., fs], axes=(lead, lead))
            dxp[(*window, cs)] += dy[..., fs] @ kernel[tap][:, fs].T
    crop = (slice(None), *(slice(b, b + n) for (b, _), n in zip(pads, x.shape[1:-1],
                                                               strict=True)))
    return _from_last(np.ascontiguousarray(dxp[crop]), data_format), dk


def conv_transpose_gradients(x, kernel, dy, strides, padding="valid", output_padding=None,
                             data_format="channels_last", dilation_rate=1):
    """``(dx, dkernel)`` of ``reference_conv.conv_transpose(x, kernel, ...)`` (Keras layout
    ``kernel_size + (filters, in_channels)``, no groups) for output gradient ``dy``."""
    x = _to_last(np.asarray(x), data_format)
    dy = _to_last(np.asarray(dy), data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s, d = _tuple(strides, rank), _tuple(dilation_rate, rank)
    ops = [None] * rank if output_padding is None else list(_tuple(output_padding, rank))
    n_in = x.shape[1:-1]
    out_sp = [transpose_length(n, k, si, di, padding, op)
              for n, k, si, di, op in zip(n_in, ks, s, d, ops, strict=True)]
    crop = [transpose_crop(k, si, di, padding, op) for k, si, di, op in zip(ks, s, d, ops,
                                                                            strict=True)]
    full_sp = [max((n - 1) * si + (k - 1) * di + 1, c0 + o)
               for n, k, si, di, c0, o in zip(n_in, ks, s, d, crop, out_sp, strict=True)]
    dfull = np.zeros((x.shape[0], *full_sp, dy.shape[-1]), dtype=dy.dtype)
    dfull[(slice(None), *(slice(c0, c0 + o) for c0, o in zip(crop, out_sp, strict=True)))] = dy
    dx = np.zeros(x.shape, dtype=np.result_type(x, kernel, dy))
    dk = np.zeros(kernel.shape, dtype=dx.dtype)
    lead = tuple(range(rank + 1))
    for tap in itertools.product(*[range(k) for k in ks]):
        window = (slice(None), *(slice(t * di, t * di + (n - 1) * si + 1, si)
                                 for t, di, si, n in zip(tap, d, s, n_in, strict=True)))
        dx += dfull[window] @ kernel[tap]
        dk[tap] = np.tensordot(dfull[window], x, axes=(lead, lead))
    return _from_last(dx, data_format), dk
