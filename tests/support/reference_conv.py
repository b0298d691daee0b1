"""Pure-NumPy reference convolutions: the test oracle (docs/design/keras_parity.md §4), slow and
obvious.

Independent of convkit's kernels and of ``convkit.ops.shapes``: the padding and crop rules are
written out again here from docs/design/keras_parity.md §2.2-2.4 and §3.2. Channels-last or
channels-first, rank 1-3, float64 when fed float64.
"""

import itertools

import numpy as np


def _tuple(v, n):
    return (int(v),) * n if np.isscalar(v) else tuple(int(e) for e in v)


def same_pads(n, k, s, d):
    """Keras/XLA "same": total = max((ceil(n/s) - 1)*s + ek - n, 0), odd extra after."""
    ek = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + ek - n, 0)
    return total // 2, total - total // 2


def _to_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_last(y, data_format):
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def conv(x, kernel, strides=1, padding="valid", data_format="channels_last", dilation_rate=1,
         bias=None):
    """Forward conv: pad, then for every tap a strided slice @ K[tap], per group; + bias."""
    x = _to_last(np.asarray(x), data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s = _tuple(strides, rank)
    d = _tuple(dilation_rate, rank)
    pads = []
    for n, k, si, di in zip(x.shape[1:-1], ks, s, d, strict=True):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((di * (k - 1), 0))
        else:
            pads.append(same_pads(n, k, si, di))
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    out_sp = [(xp.shape[1 + a] - ((ks[a] - 1) * d[a] + 1)) // s[a] + 1 for a in range(rank)]
    c = x.shape[-1]
    cg, f = kernel.shape[-2], kernel.shape[-1]
    groups = c // cg
    fg = f // groups
    y = np.zeros((x.shape[0], *out_sp, f), dtype=np.result_type(x, kernel))
    for tap in itertools.product(*[range(k) for k in ks]):
        window = tuple(slice(t * di, t * di + (o - 1) * si + 1, si)
                       for t, di, si, o in zip(tap, d, s, out_sp, strict=True))
        patch = xp[(slice(None), *window)]
        for g in range(groups):
            y[..., g * fg:(g + 1) * fg] += (patch[..., g * cg:(g + 1) * cg]
                                            @ kernel[tap][:, g * fg:(g + 1) * fg])
    if bias is not None:
        y = y + np.asarray(bias)
    return _from_last(y, data_format)


def transpose_length(n, k, s, d, padding, op):
    """docs/design/keras_parity.md §2.4 output length."""
    ek = (k - 1) * d + 1
    if padding == "valid":
        return (n - 1) * s + ek + (max(ek, s) - ek if op is None else op)
    return n * s if op is None else (n - 1) * s + ek % 2 + op


def transpose_crop(k, s, d, padding, op):
    """docs/design/keras_parity.md §3.2 left crop c0."""
    if padding == "valid":
        return 0
    ek = (k - 1) * d + 1
    if op is None:
        return max(0, (ek - s) // 2)
    return max(0, (ek - ek % 2 - op) // 2)


def conv_transpose(x, kernel, strides, padding="valid", output_padding=None,
                   data_format="channels_last", dilation_rate=1, bias=None):
    """Transposed conv: scatter x[i] @ K[t].T into full[i*s + t*d], crop at c0, + bias.

    ``kernel`` has Keras's transposed layout ``kernel_size + (filters, in_channels)``.
    """
    x = _to_last(np.asarray(x), data_format)
    kernel = np.asarray(kernel)
    rank = x.ndim - 2
    ks = kernel.shape[:rank]
    s = _tuple(strides, rank)
    d = _tuple(dilation_rate, rank)
    ops = [None] * rank if output_padding is None else list(_tuple(output_padding, rank))
    n_in = x.shape[1:-1]
    out_sp = [transpose_length(n, k, si, di, padding, op)
              for n, k, si, di, op in zip(n_in, ks, s, d, ops, strict=True)]
    crop = [transpose_crop(k, si, di, padding, op)
            for k, si, di, op in zip(ks, s, d, ops, strict=True)]
    full_sp = [max((n - 1) * si + (k - 1) * di + 1, c0 + o)
               for n, k, si, di, c0, o in zip(n_in, ks, s, d, crop, out_sp, strict=True)]
    f = kernel.shape[-2]
    full = np.zeros((x.shape[0], *[max(v, 0) for v in full_sp], f),
                    dtype=np.result_type(x, kernel))
    for tap in itertools.product(*[range(k) for k in ks]):
        window = tuple(slice(t * di, t * di + (n - 1) * si + 1, si)
                       for t, di, si, n in zip(tap, d, s, n_in, strict=True))
        full[(slice(None), *window)] += x @ kernel[tap].T
    keep = [slice(c0, c0 + max(o, 0)) for c0, o in zip(crop, out_sp, strict=True)]
    y = full[(slice(None), *keep)]
    if bias is not None:
        y = y + np.asarray(bias)
    return _from_last(np.ascontiguousarray(y), data_format)
