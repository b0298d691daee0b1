"""Gradients of the plain and transposed convolutions (KERNELS.md §5, DESIGN.md §6).

For ``y = conv(x, K)`` (any strides, dilation, groups, padding) and a loss gradient ``dy``:

* ``dx`` is a transposed convolution of ``dy`` with the same kernel array: the conv layout
  ``kernel_size + (C // groups, F)`` is the grouped transposed layout ``kernel_size +
  (out_channels // groups, in_channels)`` of a transposed conv from ``F`` to ``C`` channels.
  It reads the scatter buffer from ``pad_before`` on and has the input's length, which
  Keras's ``padding``/``output_padding`` cannot always express (``causal``; ``same`` with an
  even effective kernel and ``n % s == 0`` would need ``output_padding == s``), so the ops
  below call the phase decomposition with that crop and length directly. Input positions no
  output reads (strides that skip the last rows) get 0.
* ``dK[t, ci, g*Fg + f] = sum_{n,o} x[n, o*s - pad + t*d, g*Cg + ci] * dy[n, o, g*Fg + f]``:
  the compiled correlation kernel ``_conv_grad`` (deterministic for any thread count).
* ``db`` is ``dy`` summed over batch and spatial axes.

For ``y = conv_transpose(x, K)`` the roles swap: it is the adjoint of a conv from ``y``'s
space to ``x``'s with the same kernel array and padding ``crop``, so ``dx`` is that conv of
``dy`` and ``dK`` the same correlation with ``dy`` as its input and ``x`` as its output
gradient.
"""

import numpy as np

from .. import _kernels
from .._threads import get_num_threads, threads_for
from . import _arrays, _winograd, shapes
from ._geometry import ConvGeometry, _pad3, conv_geometry
from .arguments import (
    standardize_data_format,
    standardize_output_padding,
    standardize_padding,
    standardize_tuple,
)
from .conv import PackedConvKernel, conv_5d, winograd_5d, winograd_wanted
from .conv_transpose import (
    PackedConvTransposeKernel,
    as_conv_layout,
    check_groups,
    conv_transpose_5d,
)

__all__ = ["bias_gradient", "conv_input_gradient", "conv_kernel_gradient",
           "conv_transpose_input_gradient", "conv_transpose_kernel_gradient"]

_grad = _kernels.load("_conv_grad")
_input_grad = _kernels.load("_conv_input_grad")
_bias_grad = _kernels.load("_bias_grad")

# At most this many input channels (one group), the input gradient gathers per input pixel
# (``_conv_input_grad``, vectorised over the filters) instead of running the transposed conv,
# whose register tiles vectorise over the few input channels and run mostly empty.
GATHER_MAX_CHANNELS = 8
# At most this many input channels (one group), the weight gradient runs every tap and channel
# as a row of one register-tile GEMM (``kernel_grad_folded``) instead of one tap at a time,
# whose tiles would hold only these few channels. It reads a zero-padded copy of x: with more
# channels (up to FOLD_MAX_CHANNELS_MANY_TAPS) that copy pays only over many taps (3-D).
FOLD_MAX_CHANNELS = 8
FOLD_MAX_CHANNELS_MANY_TAPS = 16
FOLD_MANY_TAPS = 27


# ----------------------------------------------------------------------------- helpers
def _float_pair(a, b, names) -> tuple:
    """Two operands as arrays of their common compute dtype."""
    a = _arrays.as_array(a, names[0])
    b = _arrays.as_array(b, names[1])
    dtype = _arrays.compute_dtype(a, b)
    return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype), dtype


def _kernel_gradient_operands(who, inputs, output_gradient, data_format, groups,
                              kernel_size) -> tuple:
    """The checked arguments of a kernel-gradient op: ``(data_format, x, dy, dtype, rank,
    groups, kernel_size)``."""
    data_format = standardize_data_format(data_format)
    x, dy, dtype = _float_pair(inputs, output_gradient, ("inputs", "output_gradient"))
    rank = x.ndim - 2
    if rank not in (1, 2, 3) or dy.ndim != x.ndim:
        raise ValueError(f"{who}: `inputs` and `output_gradient` must both have rank 3, 4 or 5. "
                         f"Received {tuple(x.shape)} and {tuple(dy.shape)}.")
    kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
    return data_format, x, dy, dtype, rank, check_groups(groups), kernel_size


def _check_spatial(got, want, who) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"{who}: `output_gradient` must have the spatial shape of the op's "
                         f"output, {tuple(want)}. Received {tuple(got)}.")


def _shape_of(input_shape, rank, data_format, who) -> tuple:
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != rank + 2:
        raise ValueError(f"{who}: `input_shape` must have rank {rank + 2} for a rank-"
                         f"{rank + 2} kernel. Received {shape}.")
    return shape


def _choose_tile(fg: int, dtype, rows: int | None = None) -> tuple:
    """``(tile, KB)`` of the weight-gradient tile wasting the fewest padded channels; given
    the kernel's ``rows`` (input channels, or taps x channels folded), the one-vector tiles
    ("narrow", "short": the same ``KB``) are told apart by the rows their last tile wastes
    (ties: the taller tile)."""
    info = _grad.tile_info()
    char = "d" if dtype == np.float64 else "f"
    best = None
    for tile in ("wide", "narrow"):
        kb = info[(char, tile)][1]
        waste = -(-fg // kb) * kb - fg
        if best is None or waste < best[0]:
            best = (waste, tile, kb)
    tile, kb = best[1:]
    # builds from before the short tile (compared by benchmarks/kernel_ab.py) lack it
    if tile == "narrow" and rows is not None and (char, "short") in info:
        cb_narrow, cb_short = info[(char, "narrow")][0], info[(char, "short")][0]
        if -(-rows // cb_short) * cb_short < -(-rows // cb_narrow) * cb_narrow:
            tile = "short"
    return tile, kb


def _pack_output_gradient(dy5: np.ndarray, groups: int, kb: int) -> tuple:
    """``(dy, packed)``: ``(N, Do, Ho, Wo, F)`` flat as it is when every group's channels are
    whole blocks of ``kb`` (the kernel reads it at a position stride), else as the kernel's
    packed ``(G, nblk, P, KB)`` with zero-padded blocks."""
    f = dy5.shape[-1]
    fg = f // groups
    nblk = -(-fg // kb)
    if fg % kb == 0:
        return dy5.reshape(-1), False
    flat = dy5.reshape(-1, groups, fg)
    padded = np.zeros((flat.shape[0], groups, nblk * kb), dtype=dy5.dtype)
    padded[..., :fg] = flat
    blocks = padded.reshape(flat.shape[0], groups, nblk, kb).transpose(1, 2, 0, 3)
    return np.ascontiguousarray(blocks).reshape(-1), True


def kernel_gradient_5d(x5, dy5, kernel_spatial, strides, dilation, pad_before, groups,
                       n_threads=None) -> np.ndarray:
    """The correlation ``dK`` (``(KD, KH, KW, Cg, F)``) of ``(N, D, H, W, C)`` inputs with
    ``(N, Do, Ho, Wo, F)`` output gradients (same dtype); spatial arguments are 3-tuples.
    Input positions outside ``x5`` (any padding, before or after) contribute nothing."""
    n, c, f = x5.shape[0], x5.shape[-1], dy5.shape[-1]
    cg, fg = c // groups, f // groups
    out = np.empty((*kernel_spatial, cg, f), dtype=x5.dtype)
    positions = n * int(np.prod(dy5.shape[1:4]))
    if positions == 0 or x5.size == 0:
        out[...] = 0
        return out
    if groups == 1 and f < c and f < _choose_tile(f, x5.dtype)[1] and tuple(strides) == (1, 1, 1):
        return _swapped_kernel_gradient(x5, dy5, kernel_spatial, dilation, pad_before,
                                        n_threads)
    taps = int(np.prod(kernel_spatial))
    folded = groups == 1 and min(pad_before) >= 0 and (c <= FOLD_MAX_CHANNELS or (
        c <= FOLD_MAX_CHANNELS_MANY_TAPS and taps >= FOLD_MANY_TAPS))
    tile, kb = _choose_tile(fg, x5.dtype, taps * c if folded else cg)
    dy_flat, packed = _pack_output_gradient(np.ascontiguousarray(dy5), groups, kb)
    macs = positions * taps * cg * f
    n_threads = threads_for(macs, n_threads if n_threads is not None else get_num_threads())
    if folded:
        # few channels: every tap and channel a row of one GEMM over a padded copy of x
        xp = _window_padded(x5, dy5.shape[1:4], kernel_spatial, strides, dilation, pad_before)
        dims = np.array([n, *xp.shape[1:4], c, *dy5.shape[1:4], *kernel_spatial, *strides,
                         *dilation, 0, 0, 0, 1, c, f], dtype=np.intp)
        fn = _grad.kernel_grad_folded_d if x5.dtype == np.float64 \
            else _grad.kernel_grad_folded_f
        fn(xp.reshape(-1), dy_flat, out.reshape(-1), dims, tile, n_threads, packed)
        return out
    dims = np.array([n, *x5.shape[1:4], c, *dy5.shape[1:4], *kernel_spatial, *strides,
                     *dilation, *pad_before, groups, cg, fg], dtype=np.intp)
    fn = _grad.kernel_grad_d if x5.dtype == np.float64 else _grad.kernel_grad_f
    fn(np.ascontiguousarray(x5).reshape(-1), dy_flat, out.reshape(-1), dims, tile, n_threads,
       packed)
    return out


def _swapped_kernel_gradient(x5, dy5, kernel_spatial, dilation, pad_before, n_threads):
    """``dK`` of a stride-1 one-group correlation with fewer filters than input channels,
    with the operands' roles swapped so the kernel's vector lanes run over the channels.

    ``sum_o x[o - p + t*d] dy[o]`` is ``sum_i dy[i - p' + t'*d] x[i]`` with ``t' = k-1-t`` and
    ``p' = (k-1)*d - p``: the same correlation of ``dy`` (as input) with ``x`` (as output
    gradient), its taps reversed and its channel axes exchanged. ``dy`` outside its range
    contributes nothing, as ``x`` outside its range did."""
    pads = tuple((k - 1) * d - p for k, d, p in zip(kernel_spatial, dilation, pad_before,
                                                   strict=True))
    r = kernel_gradient_5d(dy5, x5, kernel_spatial, (1, 1, 1), dilation, pads, 1, n_threads)
    return np.ascontiguousarray(r[::-1, ::-1, ::-1].swapaxes(-1, -2))


def _window_padded(x5, out_spatial, kernel_spatial, strides, dilation, pad_before):
    """``x5`` zero-padded (``pad_before`` >= 0 before, as much as the last window needs
    after) so that every window of the correlation lies inside it; rows past the last window
    are cut (a stride that skips them). Small when the channels are few."""
    extent = [(o - 1) * s + (k - 1) * d + 1 for o, k, s, d in
              zip(out_spatial, kernel_spatial, strides, dilation, strict=True)]
    xp = np.zeros((x5.shape[0], *extent, x5.shape[-1]), dtype=x5.dtype)
    src, dst = [], []
    for n_in, e, p in zip(x5.shape[1:4], extent, pad_before, strict=True):
        stop = min(n_in, e - p)
        src.append(slice(0, max(stop, 0)))
        dst.append(slice(p, p + max(stop, 0)))
    xp[(slice(None), *dst)] = x5[(slice(None), *src)]
    return xp


# ----------------------------------------------------------------------------- conv
def conv_input_gradient(output_gradient, kernel, input_shape, strides=1, padding="valid",
                        data_format=None, dilation_rate=1, *, algorithm=None) -> np.ndarray:
    """Gradient of ``conv(x, kernel, ...)`` with respect to ``x`` (of shape ``input_shape``).

    A transposed conv of ``output_gradient`` with ``kernel`` (``groups`` as in
    :func:`convkit.ops.conv`: ``C // kernel.shape[-2]``), cropped at the forward padding and
    cut to the input's length; inputs no output reads get 0.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``conv``'s output.
    kernel : array_like or PackedConvTransposeKernel
        The conv's kernel ``kernel_size + (C // groups, F)`` (a
        :func:`~convkit.ops.pack_conv_transpose_kernel` of it, made with the same strides and
        dilation, is accepted: layers cache it).
    input_shape : tuple of int
        The forward input's shape, in ``data_format``.
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.conv`.
    algorithm : {None, "auto", "direct", "winograd"}
        As :func:`convkit.ops.conv`'s. For a 2-D 3x3 (or 3-D 3x3x3) stride-1 conv the
        gradient is a stride-1 3x3 (3x3x3) correlation of ``output_gradient`` with the
        kernel flipped (padding 1 for "same", 2 for "valid"), which the Winograd kernel runs.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the forward input: shape ``input_shape``, in the compute
        dtype (float64 if an operand is float64, else float32).

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.conv_input_gradient(np.ones((1, 2, 1)), np.ones((2, 1, 1)), (1, 4, 1),
    ...                         strides=2)[0, :, 0]
    array([1., 1., 1., 1.])
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    packed, k, dtype = PackedConvTransposeKernel.from_argument(kernel, dy)
    rank = k.ndim - 2
    shape = _shape_of(input_shape, rank, data_format, "conv_input_gradient")
    c = shapes.channels(shape, data_format)
    cg, f = k.shape[-2], k.shape[-1]
    if c % cg or f % (c // cg) or dy.ndim != rank + 2 or shapes.channels(dy, data_format) != f:
        raise ValueError(f"conv_input_gradient: a kernel of shape {tuple(k.shape)} does not fit "
                         f"inputs of shape {shape} and an output gradient of shape "
                         f"{tuple(dy.shape)}.")
    spatial = shapes.spatial_shape(shape, data_format)
    geometry = conv_geometry(spatial, k.shape[:-2], strides, padding, dilation_rate,
                             who="conv_input_gradient")
    _check_spatial(shapes.spatial_shape(dy, data_format), geometry.rank_out_spatial,
                   "conv_input_gradient")
    if packed is None:
        packed = PackedConvTransposeKernel(k, geometry.strides[3 - rank:],
                                           geometry.dilation[3 - rank:], dtype)
    elif (packed.strides, packed.dilation_rate) != (geometry.strides[3 - rank:],
                                                    geometry.dilation[3 - rank:]):
        raise ValueError("conv_input_gradient: the packed kernel was made for other strides "
                         "or dilation_rate")
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    groups = c // cg
    # asked first: algorithm="winograd" on a convolution it cannot run is an error whatever
    # path the shape would otherwise take ("auto" never picks it for the gather's few channels)
    use_winograd = packed.finite and min(spatial) > 0 and winograd_wanted(
        algorithm, geometry, padding, rank, spatial, f // groups, cg)
    if use_winograd:
        dx = _winograd_input_gradient(dy5, packed, groups, geometry, spatial, rank,
                                      data_format)
        if dx is not None:
            return dx
    elif groups == 1 and c <= GATHER_MAX_CHANNELS and packed.finite and min(spatial) > 0:
        return _gather_input_gradient(dy5, packed.kernel, geometry, spatial, shape,
                                      data_format)
    return conv_transpose_5d(dy5, packed, groups, geometry.pad_before[3 - rank:], spatial,
                             None, 0, data_format)


def _gather_input_gradient(dy5, kernel, geometry, spatial, shape, data_format):
    """``dx`` of a one-group conv with few input channels by the gathering kernel. A
    non-finite kernel never comes here: the transposed conv puts its NaNs where Keras does."""
    n, f = dy5.shape[0], dy5.shape[-1]
    c = kernel.shape[-2]
    in3 = _pad3(spatial, 1)
    dx5 = np.empty((n, *in3, c), dtype=dy5.dtype)
    if dy5.size == 0:
        dx5[...] = 0
    else:
        k = np.ascontiguousarray(kernel, dtype=dy5.dtype)
        dims = np.array([n, *in3, c, *dy5.shape[1:4], f, *geometry.kernel_spatial,
                         *geometry.strides, *geometry.dilation, *geometry.pad_before],
                        dtype=np.intp)
        macs = dy5.size * int(np.prod(geometry.kernel_spatial)) * c
        fn = _input_grad.input_grad_d if dy5.dtype == np.float64 else _input_grad.input_grad_f
        fn(np.ascontiguousarray(dy5).reshape(-1), k.reshape(-1), dx5.reshape(-1), dims,
           threads_for(macs))
    return _arrays.from_kernel_layout(dx5, len(spatial), data_format)


def _winograd_input_gradient(dy5, packed: PackedConvTransposeKernel, groups: int, geometry,
                             spatial, rank: int, data_format):
    """``dx`` of a 2-D 3x3 or 3-D 3x3x3 stride-1 conv by the Winograd kernel: the
    correlation of ``dy`` with the kernel flipped in every spatial axis and its channel roles
    swapped (``as_conv_layout``), padded before by ``2 - pad``. ``None`` if the result holds
    an inf or NaN (the caller then runs the transposed conv, which puts them where Keras
    does)."""
    key = ("winograd_input_gradient", groups)
    if key not in packed._cache:  # transformed once per kernel value, like the phases
        flipped = as_conv_layout(packed.kernel[(slice(None, None, -1),) * rank], groups)
        packed._cache[key] = _winograd.transform_kernel(flipped, groups)
    pad = tuple(2 - p for p in geometry.pad_before)
    if rank == 2:
        pad = (0, *pad[1:])  # the 2-D op's unit depth axis has no padding
    grad_geometry = ConvGeometry(in_spatial=geometry.out_spatial,
                                 out_spatial=_pad3(spatial, 1),
                                 kernel_spatial=geometry.kernel_spatial, strides=(1, 1, 1),
                                 dilation=(1, 1, 1), pad_before=pad, _rank=rank)
    return winograd_5d(dy5, packed._cache[key], grad_geometry, None, 0, rank, data_format)


def conv_kernel_gradient(inputs, output_gradient, kernel_size, strides=1, padding="valid",
                         data_format=None, dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv(inputs, kernel, ...)`` with respect to ``kernel``.

    ``dK[t, ci, g*Fg + f] = sum over batch and output positions of x[n, o*s - pad + t*d,
    g*Cg + ci] * dy[n, o, g*Fg + f]``, computed by a parallel compiled kernel whose sums run in
    an order fixed by the shapes: the result is bit-identical for any thread count.

    Parameters
    ----------
    inputs, output_gradient : array_like
        The forward input and the gradient with respect to the forward output.
    kernel_size : int or tuple of int
    strides, padding, data_format, dilation_rate
        As given to :func:`convkit.ops.conv`.
    groups : int
        As the conv's (``C // kernel.shape[-2]``).

    Returns
    -------
    numpy.ndarray
        ``kernel_size + (C // groups, F)``, the Keras conv kernel layout.

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.arange(4.0).reshape(1, 4, 1)
    >>> ops.conv_kernel_gradient(x, np.ones((1, 3, 1)), 2)[:, 0, 0]
    array([3., 6.])
    """
    data_format, x, dy, dtype, rank, groups, kernel_size = _kernel_gradient_operands(
        "conv_kernel_gradient", inputs, output_gradient, data_format, groups, kernel_size)
    c, f = shapes.channels(x, data_format), shapes.channels(dy, data_format)
    if c == 0 or f == 0 or c % groups or f % groups:
        raise ValueError("conv_kernel_gradient: input channels and filters must be positive "
                         f"multiples of groups. Received {c}, {f} and groups={groups}.")
    spatial = shapes.spatial_shape(x, data_format)
    geometry = conv_geometry(spatial, kernel_size, strides, padding, dilation_rate,
                             who="conv_kernel_gradient")
    _check_spatial(shapes.spatial_shape(dy, data_format), geometry.rank_out_spatial,
                   "conv_kernel_gradient")
    x5 = _arrays.to_kernel_layout(x, data_format)
    dy5 = _arrays.to_kernel_layout(dy, data_format)
    dk = kernel_gradient_5d(x5, dy5, geometry.kernel_spatial, geometry.strides,
                            geometry.dilation, geometry.pad_before, groups)
    return dk.reshape(kernel_size + dk.shape[-2:])


# ----------------------------------------------------------------------------- transposed
def _transpose_geometry(spatial, kernel_size, strides, padding, output_padding,
                        dilation_rate) -> tuple:
    """``(strides, dilation, crops, output lengths)`` of a transposed conv, per axis."""
    rank = len(spatial)
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding)
    op = standardize_output_padding(output_padding, strides) or (None,) * rank
    crops = tuple(shapes.transpose_crop(k, s, d, padding, o)
                  for k, s, d, o in zip(kernel_size, strides, dilation, op, strict=True))
    lengths = tuple(max(0, shapes.transpose_output_length(n, k, s, d, padding, o))
                    for n, k, s, d, o in zip(spatial, kernel_size, strides, dilation, op,
                                             strict=True))
    return strides, dilation, crops, lengths


def conv_transpose_input_gradient(output_gradient, kernel, input_shape, strides,
                                  padding="valid", output_padding=None, data_format=None,
                                  dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv_transpose(x, kernel, ...)`` with respect to ``x``: a forward conv of
    ``output_gradient`` with the same kernel array read in the conv layout, padded before by
    the transposed conv's crop and cut to ``x``'s length.

    Parameters
    ----------
    output_gradient : array_like
        Shaped like ``conv_transpose``'s output.
    kernel : array_like or PackedConvKernel
        ``kernel_size + (filters // groups, in_channels)``, the transposed layout (a
        :func:`~convkit.ops.pack_conv_kernel` of that array is accepted: layers cache it).
    input_shape : tuple of int
    strides, padding, output_padding, data_format, dilation_rate, groups
        As given to :func:`convkit.ops.conv_transpose`.

    Returns
    -------
    numpy.ndarray
        The gradient with respect to the forward input: shape ``input_shape``, in the compute
        dtype.

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> dy = np.arange(6.0).reshape(1, 6, 1)
    >>> ops.conv_transpose_input_gradient(dy, np.ones((3, 1, 1)), (1, 3, 1), 2,
    ...                                   padding="same")[0, :, 0]
    array([3., 9., 9.])
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    packed, k, dtype = PackedConvKernel.from_argument(kernel, dy)
    rank = k.ndim - 2
    groups = check_groups(groups)
    shape = _shape_of(input_shape, rank, data_format, "conv_transpose_input_gradient")
    spatial = shapes.spatial_shape(shape, data_format)
    c, f = shapes.channels(shape, data_format), k.shape[-2] * groups
    if c != k.shape[-1] or c % groups or dy.ndim != rank + 2 \
            or shapes.channels(dy, data_format) != f:
        raise ValueError(f"conv_transpose_input_gradient: a kernel of shape {tuple(k.shape)} "
                         f"with groups={groups} does not fit inputs of shape {shape} and an "
                         f"output gradient of shape {tuple(dy.shape)}.")
    strides, dilation, crops, lengths = _transpose_geometry(
        spatial, k.shape[:-2], strides, padding, output_padding, dilation_rate)
    _check_spatial(shapes.spatial_shape(dy, data_format), lengths,
                   "conv_transpose_input_gradient")
    if packed is None:
        packed = PackedConvKernel(k, dtype)
    dy5 = _arrays.to_kernel_layout(np.asarray(dy, dtype=dtype), data_format)
    geometry = ConvGeometry(in_spatial=_pad3(lengths, 1), out_spatial=_pad3(spatial, 1),
                            kernel_spatial=_pad3(k.shape[:-2], 1), strides=_pad3(strides, 1),
                            dilation=_pad3(dilation, 1), pad_before=_pad3(crops, 0),
                            _rank=rank)
    if min(spatial) == 0 or min(lengths) == 0:
        return np.zeros(shape, dtype=dtype)
    return conv_5d(dy5, packed, groups, geometry, None, 0, rank, data_format)


def conv_transpose_kernel_gradient(inputs, output_gradient, kernel_size, strides,
                                   padding="valid", output_padding=None, data_format=None,
                                   dilation_rate=1, groups=1) -> np.ndarray:
    """Gradient of ``conv_transpose(inputs, kernel, ...)`` with respect to ``kernel``, in the
    transposed layout ``kernel_size + (filters // groups, in_channels)``.

    The correlation of :func:`conv_kernel_gradient` with the roles swapped: ``output_gradient``
    is the correlation's input (padded before by the transposed conv's crop) and ``inputs``
    its output gradient. Bit-identical for any thread count.

    Parameters
    ----------
    inputs : array_like
        The forward input of ``conv_transpose``.
    output_gradient : array_like
        The gradient of the loss with respect to ``conv_transpose``'s output (its shape).
    kernel_size : int or tuple of int
        The kernel's spatial size.
    strides, padding, output_padding, data_format, dilation_rate, groups
        The forward call's arguments, as for :func:`conv_transpose`.

    Returns
    -------
    numpy.ndarray
        Shape ``kernel_size + (filters // groups, in_channels)``, in the compute dtype.

    Raises
    ------
    ValueError
        If the shapes do not fit together (``output_gradient`` must have the forward output's
        shape for these arguments), if ``output_gradient`` is not floating point, or if an
        argument is out of range.
    TypeError
        If an array is complex, object or string.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.ones((1, 2, 1))
    >>> dy = np.arange(4.0).reshape(1, 4, 1)
    >>> ops.conv_transpose_kernel_gradient(x, dy, 2, 2)[:, 0, 0]
    array([2., 4.])
    """
    data_format, x, dy, dtype, rank, groups, kernel_size = _kernel_gradient_operands(
        "conv_transpose_kernel_gradient", inputs, output_gradient, data_format, groups,
        kernel_size)
    c, f = shapes.channels(x, data_format), shapes.channels(dy, data_format)
    if c == 0 or f == 0 or c % groups or f % groups:
        raise ValueError("conv_transpose_kernel_gradient: input channels and filters must be "
                         f"positive multiples of groups. Received {c}, {f} and "
                         f"groups={groups}.")
    spatial = shapes.spatial_shape(x, data_format)
    strides, dilation, crops, lengths = _transpose_geometry(
        spatial, kernel_size, strides, padding, output_padding, dilation_rate)
    _check_spatial(shapes.spatial_shape(dy, data_format), lengths,
                   "conv_transpose_kernel_gradient")
    x5 = _arrays.to_kernel_layout(x, data_format)
    dy5 = _arrays.to_kernel_layout(dy, data_format)
    dk = kernel_gradient_5d(dy5, x5, _pad3(kernel_size, 1), _pad3(strides, 1),
                            _pad3(dilation, 1), _pad3(crops, 0), groups)
    return dk.reshape(kernel_size + dk.shape[-2:])


def fused_activation_bias_gradient(outputs: np.ndarray, output_gradient: np.ndarray,
                                   relu: bool) -> tuple:
    """``(dz, db)`` of a layer whose relu or linear activation is fused into its op, for
    checked channels-last arrays of one float dtype and shape: ``dz`` is ``output_gradient``
    where ``outputs > 0`` and 0 elsewhere (relu) or ``output_gradient`` itself (linear), ``db``
    its sum over every axis but the last, as :func:`bias_gradient` (float64 sums, rounded
    once; bit-identical for any thread count). One compiled pass reads ``output_gradient``
    once for both."""
    dy = np.ascontiguousarray(output_gradient)
    f = dy.shape[-1]
    dy2 = dy.reshape(-1, f)
    db = np.empty(f, dtype=np.float64)
    dz = np.empty_like(dy) if relu else dy
    y2 = np.ascontiguousarray(outputs).reshape(-1, f) if relu else dy2
    fn = _bias_grad.activation_bias_grad_d if dy.dtype == np.float64 \
        else _bias_grad.activation_bias_grad_f
    fn(y2, dy2, dz.reshape(-1, f), db, relu, threads_for(dy.size))
    return dz, db.astype(dy.dtype)


def bias_gradient(output_gradient, data_format=None) -> np.ndarray:
    """``output_gradient`` summed over the batch and spatial axes: the gradient of a conv's
    (or transposed conv's) bias. float32 is summed in float64 (NumPy's fixed order, no
    threads) and rounded once, so it is deterministic and accurate.

    Parameters
    ----------
    output_gradient : array_like
        Floating point, rank 2 or more: the gradient with respect to a layer's output.
    data_format : {"channels_last", "channels_first"} or None
        Where the channels are; ``None`` uses :func:`convkit.config.image_data_format`.

    Returns
    -------
    numpy.ndarray
        One value per channel, in ``output_gradient``'s dtype.

    Raises
    ------
    ValueError
        If ``output_gradient`` is not a floating-point array of rank 2 or more, or
        ``data_format`` is not one of the two names.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.bias_gradient(np.ones((2, 3, 4), np.float32))
    array([6., 6., 6., 6.], dtype=float32)
    """
    data_format = standardize_data_format(data_format)
    dy = _arrays.as_array(output_gradient, "output_gradient")
    if dy.dtype.kind != "f" or dy.ndim < 2:
        raise ValueError("bias_gradient: `output_gradient` must be a floating-point array "
                         f"with batch and channel axes. Received {dy.dtype} {tuple(dy.shape)}.")
    axis = shapes.channel_axis(data_format) % dy.ndim
    axes = tuple(a for a in range(dy.ndim) if a != axis)
    return dy.sum(axis=axes, dtype=np.float64).astype(dy.dtype)
