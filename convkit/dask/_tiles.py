"""Computing one block of a model's output from its input window (NumPy only).

The windows come from :mod:`convkit.dask._receptive`; here each layer runs on its tile:
conv-family layers as ``"valid"`` copies (the tile already carries their zeros at the real
borders), resampling layers as they are, cropping and zero padding as index shifts.
"""

import copy

import numpy as np

from ..layers.conv_transpose import BaseConvTranspose
from ..ops import shapes
from ._receptive import flatten


def _valid_copy(layer):
    """A shallow copy of ``layer`` (same weights, same packed-kernel cache) in valid mode."""
    clone = copy.copy(layer)
    clone.__dict__["padding"] = "valid"
    if isinstance(layer, BaseConvTranspose):
        clone.__dict__["output_padding"] = None
    return clone


def _runners(model, scratch: dict, steps) -> list:
    runners = scratch.get("runners")
    if runners is None:
        runners = scratch["runners"] = [_valid_copy(layer) if step.kind == "conv" else layer
                                        for layer, step in zip(flatten(model), steps,
                                                               strict=True)]
    return runners


def _spatial_axes(step) -> range:
    start = 2 if shapes.channel_axis(step.data_format) == 1 else 1
    return range(start, start + len(step.axes))


def _clip(interval, n):
    return max(interval[0], 0), min(interval[1], n)


def run_tile(model, scratch, steps, x, requests, final) -> np.ndarray:
    """Outputs ``final`` (one ``(a, b)`` per spatial axis) of the model, computed from ``x``.

    ``requests[axis][i]`` is step ``i``'s input interval; ``x`` holds the model input over
    the first request clipped to the image.
    """
    runners = _runners(model, scratch, steps)
    n_axes = len(final)
    ins = [shapes.spatial_shape(step.in_shape, step.data_format) for step in steps]
    start, padded = 0, False
    for i in reversed(range(len(steps))):
        clipped = [_clip(requests[ax][i], ins[i][ax]) for ax in range(n_axes)]
        if any(lo >= hi for lo, hi in clipped):
            # this layer reads only zeros: nothing before it needs computing
            start, padded = i, True
            sizes = [hi - lo for lo, hi in (requests[ax][i] for ax in range(n_axes))]
            step = steps[i]
            channels = shapes.channels(step.in_shape, step.data_format)
            shape = ([x.shape[0], channels, *sizes] if _spatial_axes(step).start == 2
                     else [x.shape[0], *sizes, channels])
            x = np.zeros(shape, dtype=_zeros_dtype(runners, i, x.dtype))
            break
    t = x
    for i in range(start, len(steps)):
        step, layer = steps[i], runners[i]
        axes = _spatial_axes(step)
        reqs = [requests[ax][i] for ax in range(n_axes)]
        if not padded:
            widths = [(0, 0)] * t.ndim
            for ax, (lo, hi) in enumerate(reqs):
                if step.axes[ax].fill == "zeros":
                    widths[axes[ax]] = (max(0, -lo), max(0, hi - ins[i][ax]))
            if any(w != (0, 0) for w in widths):
                t = np.pad(t, widths)
        padded = False
        if step.kind == "shift":
            y = t.astype(layer.dtype, copy=False) if t.dtype.kind == "f" else t
        else:
            y = layer(t, training=False)
        index = [slice(None)] * y.ndim
        for ax, (lo, _) in enumerate(reqs):
            if step.axes[ax].fill == "clip":
                lo = max(lo, 0)
            origin = step.axes[ax].origin(lo)
            if i + 1 < len(steps):
                n_next = ins[i + 1][ax]
                a, b = _clip(requests[ax][i + 1], n_next)
            else:
                a, b = final[ax]
            index[axes[ax]] = slice(a - origin, b - origin)
        t = y[tuple(index)]
    return np.ascontiguousarray(t)


def _zeros_dtype(runners, i, dtype):
    """The dtype layer ``i`` receives for an input of ``dtype`` (KERAS_PARITY D2)."""
    return output_dtype(runners[:i], dtype)


def output_dtype(layers, dtype) -> np.dtype:
    """The dtype a stack of convkit layers returns for inputs of ``dtype``: conv-family
    layers compute in their dtype, reshaping layers cast floats only."""
    dtype = np.dtype(dtype)
    for layer in layers:
        if hasattr(layer, "kernel_size") or dtype.kind == "f":
            dtype = np.dtype(layer.dtype)
    return dtype
