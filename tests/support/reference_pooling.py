"""NumPy oracle for pooling: slow loops over output windows, written from the definitions.

Channels-last only (tests transpose channels-first data around it). Windows follow Keras's
"same" split (before = total // 2); a window's taps outside the input are dropped. Max pooling's
gradient goes to the first maximum of each window in (d, h, w) order; average pooling divides
by the number of real inputs. Global max pooling splits its gradient between tied maxima.
"""

import itertools

import numpy as np


def _pads(spatial, pool, strides, padding):
    out, before = [], []
    for n, k, s in zip(spatial, pool, strides, strict=True):
        if padding == "valid":
            o = (n - k) // s + 1
            before.append(0)
        else:
            o = -(-n // s)
            before.append(max((o - 1) * s + k - n, 0) // 2)
        out.append(o)
    return tuple(out), tuple(before)


def _windows(spatial, pool, strides, padding):
    """Yield ``(output index, list of input indices in window order)``."""
    out, before = _pads(spatial, pool, strides, padding)
    for o in itertools.product(*(range(n) for n in out)):
        ranges = [range(max(oi * s - p, 0), min(oi * s - p + k, n))
                  for oi, s, p, k, n in zip(o, strides, before, pool, spatial, strict=True)]
        yield o, list(itertools.product(*ranges))


def _as_tuple(v, rank):
    return (v,) * rank if isinstance(v, int) else tuple(v)


def pool(x, pool_size, strides=None, padding="valid", mode="max"):
    """Windowed max or average of a channels-last ``(N, *spatial, C)`` array."""
    x = np.asarray(x)
    rank = x.ndim - 2
    pool_size = _as_tuple(pool_size, rank)
    strides = pool_size if strides is None else _as_tuple(strides, rank)
    out_shape, _ = _pads(x.shape[1:-1], pool_size, strides, padding)
    y = np.empty((x.shape[0], *out_shape, x.shape[-1]), dtype=x.dtype)
    for o, taps in _windows(x.shape[1:-1], pool_size, strides, padding):
        vals = np.stack([x[(slice(None), *t)] for t in taps])     # (taps, N, C)
        y[(slice(None), *o)] = vals.max(axis=0) if mode == "max" else \
            vals.sum(axis=0) / x.dtype.type(len(taps))
    return y


def pool_gradient(x, dy, pool_size, strides=None, padding="valid", mode="max"):
    """Gradient of :func:`pool` with respect to ``x`` for output gradient ``dy``."""
    x, dy = np.asarray(x), np.asarray(dy)
    rank = x.ndim - 2
    pool_size = _as_tuple(pool_size, rank)
    strides = pool_size if strides is None else _as_tuple(strides, rank)
    dx = np.zeros_like(x)
    for o, taps in _windows(x.shape[1:-1], pool_size, strides, padding):
        g = dy[(slice(None), *o)]                                   # (N, C)
        if mode == "max":
            vals = np.stack([x[(slice(None), *t)] for t in taps])   # (taps, N, C)
            first = vals.argmax(axis=0)                             # first maximum
            for ti, t in enumerate(taps):
                dx[(slice(None), *t)] += np.where(first == ti, g, 0)
        else:
            for t in taps:
                dx[(slice(None), *t)] += g / x.dtype.type(len(taps))
    return dx


def global_pool(x, mode="max", keepdims=False):
    """Max or mean over every spatial axis of a channels-last array."""
    axes = tuple(range(1, np.ndim(x) - 1))
    return np.max(x, axis=axes, keepdims=keepdims) if mode == "max" else \
        np.mean(x, axis=axes, keepdims=keepdims)


def global_pool_gradient(x, dy, mode="max"):
    """Gradient of :func:`global_pool` (``dy`` of shape ``(N, C)``)."""
    x = np.asarray(x)
    axes = tuple(range(1, x.ndim - 1))
    g = np.asarray(dy).reshape(x.shape[0], *(1,) * len(axes), x.shape[-1])
    if mode == "max":
        hits = x == x.max(axis=axes, keepdims=True)
        return np.where(hits, g / hits.sum(axis=axes, keepdims=True), 0).astype(x.dtype)
    count = np.prod([x.shape[a] for a in axes])
    return np.broadcast_to(g / x.dtype.type(count), x.shape).astype(x.dtype)
