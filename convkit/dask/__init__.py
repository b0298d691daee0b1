"""Dask integration: ``model.predict`` on a Dask array returns a lazy Dask array.

Needs the optional extra: ``pip install "convkit-layers[dask]"`` (``dask[array]`` and
``distributed``). ``import convkit`` never imports Dask; ``Model.predict`` comes here only for
an input that already is a Dask array.

- An array chunked along the batch axis only runs one ``predict`` per block
  (``map_blocks``); any model works.
- An array chunked along spatial axes needs a fully convolutional Sequential model (Conv,
  ConvTranspose, DepthwiseConv, SeparableConv, Cropping, ZeroPadding, UpSampling, nested
  Sequentials). The output is split into blocks aligned to the model's composite stride and
  each block is computed from the exact input window its receptive field reads (see
  :mod:`convkit.dask._receptive`), so the result equals the in-memory ``predict``.

The model is snapshotted (weights included) when ``predict`` is called; each worker process
unpickles it once.

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> from convkit import layers, models
>>> net = models.Sequential([layers.Conv2D(2, 3, padding="same", input_shape=(16, 16, 1))])
>>> x = np.random.default_rng(0).random((4, 16, 16, 1), dtype=np.float32)
>>> y = net.predict(da.from_array(x, chunks=(2, 8, 8, 1)), verbose=0)
>>> y.chunks[:3]
((2, 2), (8, 8), (8, 8))
>>> np.allclose(y.compute(), net.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
True
"""

try:
    import dask.array as da
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError("convkit.dask needs Dask: install the optional extra with "
                      "`pip install \"convkit-layers[dask]\"` (dask[array] and "
                      "distributed).") from error

import itertools

import numpy as np

from ..ops import shapes
from . import _receptive
from ._shipping import ShippedModel
from ._tiles import output_dtype, run_tile

DEFAULT_BATCH_SIZE = 32


def _predict_batch_block(block, shipped, batch_size):
    model, _ = shipped.load()
    return model.predict(block, batch_size=batch_size, verbose=0)


def _predict_tile(block, shipped, steps, requests, final, batch_size):
    model, scratch = shipped.load()
    parts = [run_tile(model, scratch, steps, block[i:i + batch_size], requests, final)
             for i in range(0, max(block.shape[0], 1), batch_size)]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


def _dtype_of(model, x) -> np.dtype:
    try:
        return output_dtype(_receptive.flatten(model), x.dtype)
    except (AttributeError, TypeError):  # not a Sequential of convkit layers: run one sample
        sample = np.zeros((1, *x.shape[1:]), dtype=x.dtype)
        return model.predict(sample, verbose=0).dtype


def predict(model, x, batch_size=None, steps=None):
    """``model.predict`` for a Dask array ``x``: a lazy Dask array, nothing computed yet.

    Parameters
    ----------
    model : convkit.models.Model
    x : dask.array.Array
        Batch first. Chunks along the batch axis become separate ``predict`` calls; chunks
        along spatial axes are tiled with halos (fully convolutional Sequential models only).
        A chunked channel axis is joined first.
    batch_size : int, optional
        Samples per layer call inside a block (default 32).
    steps : int, optional
        Predict only the first ``steps * batch_size`` samples.

    Returns
    -------
    dask.array.Array
        Equal, once computed, to ``model.predict(x.compute())``.

    Raises
    ------
    ValueError
        ``x`` is chunked along a spatial axis and a layer cannot be tiled (its name is in
        the message), or ``x`` has no batch axis.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from convkit import dask as convkit_dask, layers, models
    >>> net = models.Sequential([layers.Conv1D(2, 3, padding="same", input_shape=(12, 1))])
    >>> x = np.random.default_rng(0).random((6, 12, 1), dtype=np.float32)
    >>> lazy = convkit_dask.predict(net, da.from_array(x, chunks=(3, 6, 1)))
    >>> lazy.chunks[:2]
    ((3, 3), (6, 6))
    >>> np.allclose(lazy.compute(), net.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    True
    """
    if not isinstance(x, da.Array):
        raise TypeError(f"convkit.dask.predict takes a dask.array.Array. Received {type(x)}.")
    if x.ndim == 0:
        raise ValueError(f"The model '{model.name}' needs inputs with a batch axis. "
                         "Received a scalar.")
    batch_size = DEFAULT_BATCH_SIZE if batch_size is None else int(batch_size)
    if batch_size <= 0:
        raise ValueError(f"`batch_size` must be a positive integer. Received {batch_size}")
    if steps is not None:
        x = x[:steps * batch_size]
    if not model.built:
        model.build((None, *x.shape[1:]))
    out_shape = tuple(model.compute_output_shape((None, *x.shape[1:])))
    dtype = _dtype_of(model, x)
    shipped = ShippedModel.of(model)
    meta = np.empty((0,) * len(out_shape), dtype=dtype)
    if all(len(c) == 1 for c in x.chunks[1:]) or x.shape[0] == 0:
        return _by_batch(x, shipped, batch_size, out_shape, dtype, meta)
    return _by_tiles(model, x, shipped, batch_size, dtype, meta)


def _by_batch(x, shipped, batch_size, out_shape, dtype, meta):
    x = x.rechunk({axis: -1 for axis in range(1, x.ndim)})
    chunks = (x.chunks[0], *((n,) for n in out_shape[1:]))
    extra = {}
    if len(out_shape) != x.ndim:
        extra = {"drop_axis": list(range(1, x.ndim)),
                 "new_axis": list(range(1, len(out_shape)))}
    return x.map_blocks(_predict_batch_block, shipped, batch_size, chunks=chunks, dtype=dtype,
                        meta=meta, **extra)


def _by_tiles(model, x, shipped, batch_size, dtype, meta):
    steps = _receptive.plan_steps(model, x.shape)
    first = steps[0]
    channel_axis = shapes.channel_axis(first.data_format) % x.ndim
    x = x.rechunk({channel_axis: -1})
    start = 2 if channel_axis == 1 else 1
    spatial_axes = range(start, start + len(first.axes))
    out_shape = (x.shape[0], *steps[-1].out_shape[1:])
    n_in = shapes.spatial_shape(x.shape, first.data_format)
    # per spatial axis: the output blocks, and for each the windows of every layer
    per_axis = []
    for ax, array_axis in enumerate(spatial_axes):
        sizes = _receptive.output_bounds(steps, ax, x.chunks[array_axis],
                                         out_shape[array_axis])
        blocks, a = [], 0
        for size in sizes:
            requests = _receptive.windows(steps, ax, a, a + size)
            lo, hi = max(requests[0][0], 0), min(requests[0][1], n_in[ax])
            if lo >= hi:  # the block reads only zero padding: any one input sample will do
                lo, hi = 0, 1
            blocks.append(((a, a + size), requests, slice(lo, hi)))
            a += size
        per_axis.append(blocks)
    grid = [1] * x.ndim  # da.block wants one nesting level per array axis
    grid[0] = len(x.chunks[0])
    for ax, array_axis in enumerate(spatial_axes):
        grid[array_axis] = len(per_axis[ax])
    pieces = np.empty(grid, dtype=object)
    b0 = 0
    for bi, batch in enumerate(x.chunks[0]):
        for combo in itertools.product(*(range(len(b)) for b in per_axis)):
            chosen = [per_axis[ax][k] for ax, k in enumerate(combo)]
            index = [slice(None)] * x.ndim
            index[0] = slice(b0, b0 + batch)
            shape = list(out_shape)
            shape[0] = batch
            for ax, (final, _, window) in enumerate(chosen):
                index[spatial_axes[ax]] = window
                shape[spatial_axes[ax]] = final[1] - final[0]
            window = x[tuple(index)].rechunk(-1)
            where = [0] * x.ndim
            where[0] = bi
            for ax, k in enumerate(combo):
                where[spatial_axes[ax]] = k
            pieces[tuple(where)] = window.map_blocks(
                _predict_tile, shipped, steps, [c[1] for c in chosen], [c[0] for c in chosen],
                batch_size, chunks=tuple((n,) for n in shape), dtype=dtype, meta=meta)
        b0 += batch
    return da.block(pieces.tolist())


__all__ = ["predict"]
