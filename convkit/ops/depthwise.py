"""Depthwise and separable convolution, spelled like ``keras.ops``.

``depthwise_conv`` convolves every input channel with its own ``depth_multiplier`` filters;
``separable_conv`` follows it with a 1x1 (pointwise) convolution, fused in one kernel pass so the
depthwise intermediate never reaches memory (docs/design/kernels.md §6).

Weights use Keras's layouts (docs/design/keras_parity.md §3.3/§3.4): depthwise
``kernel_size + (C, M)``, output channel ``q = c*M + m``; pointwise ``(1,)*rank + (C*M, F)``.
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for
from ._arrays import (
    as_array,
    check_bias,
    compute_dtype,
    from_kernel_layout,
    kernel_output,
    to_kernel_layout,
)
from ._direct import CastKernel
from ._geometry import conv_geometry, with_explicit_padding
from .arguments import fused_activation_code, standardize_data_format, standardize_padding
from .depthwise_packing import PackedDepthwise, _unpack, pack_depthwise_kernel
from .shapes import channel_axis, channels, spatial_shape

_dw = _kernels.load("_depthwise")


def _check_kernel(inputs: np.ndarray, kernel: np.ndarray, data_format: str, who: str,
                  name: str) -> int:
    """Check ranks and channels of ``inputs`` against a ``kernel_size + (C, M)`` kernel."""
    if kernel.ndim not in (3, 4, 5):
        raise ValueError(f"{who}: `{name}` must have rank 3, 4 or 5 (kernel_size + "
                         f"(in_channels, depth_multiplier)). Received {name} of shape "
                         f"{tuple(kernel.shape)}.")
    if kernel.ndim != inputs.ndim:
        raise ValueError(f"{who}: Kernel shape must have the same length as input, but received "
                         f"{name} of shape {tuple(kernel.shape)} and inputs of shape "
                         f"{tuple(inputs.shape)}.")
    c = channels(inputs, data_format)
    if kernel.shape[-2] != c:
        raise ValueError(f"{who}: `inputs` has {c} channels (axis {channel_axis(data_format)}, "
                         f"{data_format}) but "
                         f"`{name}` expects {kernel.shape[-2]} input channels "
                         f"({name}.shape[-2]); inputs shape {tuple(inputs.shape)}, {name} "
                         f"shape {tuple(kernel.shape)}.")
    return kernel.ndim - 2


class PackedPointwise(CastKernel):
    """A separable conv's pointwise kernel ``(1,) * rank + (C * M, F)``, cast once, with its
    blocked layout cached (the pointwise counterpart of :class:`PackedDepthwise`).

    Layers create one per weight value (:func:`pack_pointwise_kernel`) and pass it as
    ``pointwise_kernel`` to :func:`separable_conv`, so the blocking is not redone per call.
    It does not follow later changes to the source array: make a new one when the weights
    change.

    Attributes
    ----------
    kernel : numpy.ndarray
        The kernel in Keras layout, in ``dtype`` (read-only).
    dtype : numpy.dtype
        Its compute dtype.
    """

    layout = "(1,) * rank + (in_channels * depth_multiplier, filters)"
    argument = "pointwise_kernel"

    def blocks(self, c: int, m: int, module=None) -> np.ndarray:
        """``(ceil(F/KB), M*C, KB)`` blocks for ``module``'s ``KB`` (made once, then cached)."""
        module = _dw if module is None else module
        key = (c, m, id(module))
        if key not in self._cache:
            self._cache[key] = _pointwise_blocks(self.kernel.reshape(c * m, -1), c, m, module)
        return self._cache[key]


def pack_pointwise_kernel(kernel, dtype=None) -> PackedPointwise:
    """Cast a separable conv's pointwise kernel once, for repeated :func:`separable_conv` calls.

    Parameters
    ----------
    kernel : array_like
        ``(1,) * rank + (C * depth_multiplier, filters)`` (Keras layout).
    dtype : {"float32", "float64"}, optional
        Defaults to float64 for a float64 kernel, float32 otherwise.

    Returns
    -------
    PackedPointwise
        An object :func:`separable_conv` accepts in place of the pointwise kernel.

    Raises
    ------
    ValueError
        If ``kernel`` has the wrong rank, an empty axis, or ``dtype`` is not float32 or
        float64.
    TypeError
        If ``kernel`` is a complex, object or string array.

    Examples
    --------
    >>> import numpy as np
    >>> p = pack_pointwise_kernel(np.ones((1, 1, 4, 3)))
    >>> x = np.ones((1, 5, 5, 2), "float32")
    >>> separable_conv(x, np.ones((3, 3, 2, 2)), p).shape
    (1, 3, 3, 3)
    """
    return PackedPointwise(kernel, dtype)


def _intake(inputs, kernel, strides, padding, data_format, dilation_rate, extra, who, name):
    """Shared checks: returns (x C-contiguous in ``dtype``, packed dw weights, geometry, dtype,
    rank, data_format)."""
    data_format = standardize_data_format(data_format)
    padding = standardize_padding(padding)  # depthwise/separable: no causal
    x = as_array(inputs, "inputs")
    packed = kernel if isinstance(kernel, PackedDepthwise) else None
    k = None if packed is not None else as_array(kernel, name)
    dtype = compute_dtype(x, packed.weights if packed is not None else k, *extra)
    rank = _check_kernel(x, packed if packed is not None else k, data_format, who, name)
    kshape = packed.kernel_shape if packed is not None else tuple(k.shape)
    geometry = conv_geometry(spatial_shape(x, data_format), kshape[:rank], strides, padding,
                        dilation_rate, who=who)
    if packed is None or packed.weights.dtype != dtype:
        packed = pack_depthwise_kernel(k if k is not None else _unpack(packed), dtype)
    x = np.ascontiguousarray(x, dtype=dtype)
    return x, packed, geometry, dtype, rank, data_format


def _prepare(inputs, kernel, strides, padding, data_format, dilation_rate, extra, who, name):
    """Shared intake: returns (x5, packed dw weights, geometry, dtype, rank, data_format)."""
    x, packed, geometry, dtype, rank, data_format = _intake(
        inputs, kernel, strides, padding, data_format, dilation_rate, extra, who, name)
    return _to_row_layout(x, packed, geometry, rank, data_format) + (dtype, rank, data_format)


def _to_row_layout(x, packed, geometry, rank, data_format):
    """``(x5, packed, geometry)`` for the row kernels: ``(N, D, H, W, C)``, explicitly padded
    when a weight is not finite (docs/design/kernels.md §9)."""
    x5 = to_kernel_layout(x, data_format)
    if x5.size and min(geometry.out_spatial) > 0 and not packed.finite:
        x5, geometry = with_explicit_padding(x5, geometry)
    return x5, packed, geometry


# When the channel-block kernel runs (docs/design/kernels.md §6). In channels_last: output
# rows of at most this many pixels, where the row kernels spend most of their time on border
# pixels and one-pixel remainders (7x7 C1152 5x5: 2.4x at b1, 1.6x at b8; 14x14 C384 3x3:
# 1.4x / 1.03x), and strided windows of 5 or more (56x56 C144 5x5 s2: 1.4x / 1.1x); on longer
# rows the row kernels (weights in registers, each input column feeding several outputs) do
# better than its padded copy and per-tap loads (56x56 C144 3x3 b8: 0.8x). In channels_first
# whenever the plane kernel does not (_use_planes: narrow planes): its padded copy is the
# transpose, in cache, where the row kernels need the whole tensor transposed twice (b8: 1.15x
# at 56x56 C144 3x3 to 2x at 112x112 C96 3x3 s2; small planes are transposed whole after all,
# see _depthwise_blocks). One thread, CPU time, in-process alternating calls
# (benchmarks/depthwise_paths_ab.py), loaded machine.
BLOCK_MAX_WO = 14


# When the plane kernel runs (docs/design/kernels.md §6): channels_first, rank 1 or 2, output
# rows of at least this many pixels. Against the channel-block path (one thread, alternating
# in-process calls on a loaded machine, /tmp scratch script): 10x10 C512 3x3 b8 1.4-1.5x,
# 14x14 C384 1.1-1.6x, 28x28 C192 1.6-1.8x, 112x112 C32 2.0-2.4x, stride 2 1.1-1.7x; on 7x7
# planes 0.6-0.84x, where the whole-tensor transposes and channel vectors win (with a depth
# multiplier, the row path: 7x7 C256 M2 0.92x; 28x28 C64 M4 3.1x).
PLANE_MIN_WO = 10


def _use_planes(rank: int, m: int, data_format: str, geometry) -> bool:
    """Whether a depthwise call runs the plane kernel (``depthwise_planes_*``)."""
    return (data_format == "channels_first" and rank <= 2
            and geometry.out_spatial[-1] >= PLANE_MIN_WO)


# Since 3x3 stride-1 rows run in pairs (_depthwise_pairs.pxi), the row path beats the channel
# blocks on short channels_last rows too, down to rows of this many pixels. Two threads,
# in-process, alternating calls with a packed kernel and a bias as the layers make them
# (rows / blocks time): 14x14 C384 b8 0.66, 10x10 C512 b8 0.83-0.90; 9x9 C512 1.04-1.10,
# 8x8 1.06-1.15, 7x7 C960 1.12-1.14, where the blocks stay. 5x5 windows keep the blocks
# (14x14 C384: 1.06 vs 0.50 ms on the rows). In channels_first the plane kernel takes every
# row this long, so the narrow planes keep the blocks.
PAIRS_MIN_WO = 10


def _rows_in_pairs(rank: int, geometry) -> bool:
    """Whether a one-filter-per-channel 2-D call has the shape the row pairs take (3x3,
    stride and dilation 1) and rows long enough for them to beat the channel blocks."""
    return (rank == 2 and tuple(geometry.kernel_spatial[-2:]) == (3, 3)
            and tuple(geometry.strides[-2:]) == (1, 1)
            and tuple(geometry.dilation[-2:]) == (1, 1)
            and geometry.out_spatial[-1] >= PAIRS_MIN_WO)


def _use_channel_blocks(rank: int, m: int, data_format: str, geometry) -> bool:
    """Whether a depthwise call runs the channel-block kernel (``depthwise_blocks_*``): one
    filter per channel, rank 1 or 2, and the shapes above."""
    if m != 1 or rank > 2 or _rows_in_pairs(rank, geometry):
        return False
    return (data_format == "channels_first" or geometry.out_spatial[-1] <= BLOCK_MAX_WO
            or (geometry.strides[-1] > 1 and geometry.kernel_spatial[-1] >= 5))


def _depthwise_blocks(x, packed, bias_arr, geometry, rank, data_format, relu, dtype):
    """The channel-block kernel on ``x`` in its own layout (rank 1 viewed as H = 1).

    Small channels_first planes (output rows of at most ``BLOCK_MAX_WO`` pixels) go through
    whole-tensor transposes instead: in cache, ``_layout``'s vectorised transposes cost less
    than the kernel's scalar per-block ones (7x7 C960 3x3 b8: 0.8x the row path in place,
    ~1.2x transposed); on larger planes the whole-tensor transposes leave the cache and the
    in-place copy wins.
    """
    if data_format == "channels_first" and geometry.out_spatial[-1] <= BLOCK_MAX_WO:
        x5 = to_kernel_layout(x, data_format)                    # (N, D=1, H, W, C)
        y = _depthwise_blocks(x5[:, 0], packed, bias_arr, geometry, rank, "channels_last",
                              relu, dtype)                       # (N, *spatial, C)
        return from_kernel_layout(y.reshape(y.shape[0], *geometry.out_spatial, y.shape[-1]),
                                  rank, data_format)
    cf = data_format == "channels_first"
    n, c = x.shape[0], channels(x, data_format)
    ho, wo = ((1,) + tuple(geometry.rank_out_spatial))[-2:]
    h, w = ((1,) + tuple(spatial_shape(x, data_format)))[-2:]
    x4 = x.reshape((n, c, h, w) if cf else (n, h, w, c))
    y4 = np.empty((n, c, ho, wo) if cf else (n, ho, wo, c), dtype=dtype)
    fn = _dw.depthwise_blocks_f64 if dtype == np.float64 else _dw.depthwise_blocks_f32
    macs = y4.size * math.prod(geometry.kernel_spatial)
    fn(x4, packed.weights, bias_arr, y4, geometry.kernel_spatial[1:], geometry.strides[1:],
       geometry.dilation[1:], geometry.pad_before[1:], cf, relu, threads_for(macs))
    spatial = tuple(geometry.rank_out_spatial)
    return y4.reshape((n, c) + spatial if cf else (n,) + spatial + (c,))


def _depthwise_planes(x, packed, bias_arr, geometry, rank, relu, dtype):
    """The plane kernel on channels_first ``x`` (rank 1 viewed as H = 1): every channel's plane
    convolved along its rows, with no transpose (docs/design/kernels.md §6)."""
    n, c = x.shape[:2]
    h, w = ((1,) + tuple(x.shape[2:]))[-2:]
    ho, wo = ((1,) + tuple(geometry.rank_out_spatial))[-2:]
    m = packed.kernel_shape[-1]
    y4 = np.empty((n, c * m, ho, wo), dtype=dtype)
    fn = _dw.depthwise_planes_f64 if dtype == np.float64 else _dw.depthwise_planes_f32
    macs = y4.size * math.prod(geometry.kernel_spatial)
    fn(x.reshape(n, c, h, w), packed.weights, bias_arr, y4, geometry.kernel_spatial[1:],
       geometry.strides[1:], geometry.dilation[1:], geometry.pad_before[1:], relu,
       threads_for(macs))
    return y4.reshape((n, c * m) + tuple(geometry.rank_out_spatial))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1, *, bias=None, activation=None) -> np.ndarray:
    """Depthwise convolution: each input channel convolved with its own filters.

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, C)`` (channels_last) or ``(batch, C, *spatial)``; rank 1 to 3.
    kernel : array_like or PackedDepthwise
        ``kernel_size + (C, depth_multiplier)`` (Keras layout).
    strides, dilation_rate : int or tuple of int
        Both may exceed 1 together (as in Keras's depthwise layers).
    padding : {"valid", "same"}
        "same" pads like Keras/TensorFlow (an odd extra goes after).
    data_format : {"channels_last", "channels_first"}, optional
        Defaults to :func:`convkit.config.image_data_format`.
    bias : array_like, optional
        ``(C * depth_multiplier,)``, added before the activation.
    activation : {None, "linear", "relu"}
        Fused into the kernel's store.

    Returns
    -------
    numpy.ndarray
        New C-contiguous array with ``C * depth_multiplier`` channels; output channel
        ``c * depth_multiplier + m``. float64 if any operand is float64, else float32.

    Raises
    ------
    ValueError
        If ``inputs`` and ``kernel`` do not have matching ranks or channel counts, if an
        argument is out of range (the message names it), or if the output would be empty.
    TypeError
        If ``inputs`` or a weight is a complex, object or string array.

    Notes
    -----
    Padding is zeros that are multiplied: an inf or NaN weight gives NaN wherever it meets
    the padding, as in Keras (such kernels take a slower, explicitly padded path). The same
    holds for :func:`separable_conv`.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    >>> depthwise_conv(x, np.ones((3, 1, 2), "float32"))[0, :, 0]
    array([3., 6., 9.], dtype=float32)
    """
    who = "depthwise_conv"
    relu = fused_activation_code(activation, who)
    k_for_dtype = kernel if isinstance(kernel, PackedDepthwise) else as_array(kernel, "kernel")
    bias = None if bias is None else as_array(bias, "bias")
    x, packed, geometry, dtype, rank, data_format = _intake(
        inputs, k_for_dtype, strides, padding, data_format, dilation_rate, [bias], who,
        "kernel")
    c, m = packed.kernel_shape[-2:]
    b = check_bias(bias, c * m, dtype, who)
    # the kernel reads the bias m-major (m*C + c), like its repacked weights
    bias_arr = (np.ascontiguousarray(b.astype(dtype, copy=False).reshape(c, m).T).reshape(-1)
                if b is not None else np.empty(0, dtype=dtype))
    if _use_planes(rank, m, data_format, geometry):
        # padding taps multiply zeros here too
        return _depthwise_planes(x, packed, bias_arr, geometry, rank, relu, dtype)
    if _use_channel_blocks(rank, m, data_format, geometry):
        # padding taps multiply zeros here: a non-finite weight needs no padded copy
        return _depthwise_blocks(x, packed, bias_arr, geometry, rank, data_format, relu, dtype)
    x5, packed, geometry = _to_row_layout(x, packed, geometry, rank, data_format)
    y5 = kernel_output(x5.shape[0], geometry.rank_out_spatial, c * m, dtype, like=x5)
    fn = _dw.depthwise_f64 if dtype == np.float64 else _dw.depthwise_f32
    macs = y5.size * math.prod(geometry.kernel_spatial)
    fn(x5, packed.weights, bias_arr, y5, geometry.kernel_spatial, geometry.strides,
       geometry.dilation, geometry.pad_before, relu, threads_for(macs))
    return from_kernel_layout(y5, rank, data_format)


def _pointwise_blocks(p: np.ndarray, c: int, m: int, module) -> np.ndarray:
    """Pointwise (C*M, F) → blocks (ceil(F/KB), M*C, KB), rows m-major, columns zero-padded."""
    kb = module.PW_KB_F64 if p.dtype == np.float64 else module.PW_KB_F32
    f = p.shape[-1]
    rows = p.reshape(c, m, f).transpose(1, 0, 2).reshape(m * c, f)
    nfb = -(-f // kb)
    packed = np.zeros((nfb, m * c, kb), dtype=p.dtype)
    for fb in range(nfb):
        cols = rows[:, fb * kb:(fb + 1) * kb]
        packed[fb, :, :cols.shape[1]] = cols
    packed.setflags(write=False)
    return packed


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, *, bias=None,
                   activation=None) -> np.ndarray:
    """Separable convolution: depthwise (no bias), then a 1x1 convolution, fused.

    Parameters
    ----------
    inputs : array_like
        ``(batch, *spatial, C)`` (channels_last) or ``(batch, C, *spatial)``; rank 1 to 3.
    depthwise_kernel : array_like or PackedDepthwise
        ``kernel_size + (C, depth_multiplier)``.
    pointwise_kernel : array_like or PackedPointwise
        ``(1,) * rank + (C * depth_multiplier, filters)``.
    strides, padding, dilation_rate
        Act on the depthwise step only (see :func:`depthwise_conv`).
    data_format : {"channels_last", "channels_first"}, optional
    bias : array_like, optional
        ``(filters,)``, added after the pointwise step.
    activation : {None, "linear", "relu"}
        Applied after the bias, fused into the store.

    Returns
    -------
    numpy.ndarray
        New C-contiguous array with ``filters`` channels.

    Raises
    ------
    ValueError
        If ``inputs`` and ``kernel`` do not have matching ranks or channel counts, if an
        argument is out of range (the message names it), or if the output would be empty.
    TypeError
        If ``inputs`` or a weight is a complex, object or string array.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 4, 4, 2), "float32")
    >>> y = separable_conv(x, np.ones((3, 3, 2, 1)), np.ones((1, 1, 2, 5)), padding="same")
    >>> y.shape, float(y[0, 1, 1, 0])
    ((1, 4, 4, 5), 18.0)
    """
    return _separable(inputs, depthwise_kernel, pointwise_kernel, strides, padding,
                      data_format, dilation_rate, bias, activation, keep=False)[0]


def _separable(inputs, depthwise_kernel, pointwise_kernel, strides, padding, data_format,
               dilation_rate, bias, activation, keep) -> tuple:
    """``(separable_conv(...), u5)``: with ``keep``, ``u5`` is the depthwise intermediate
    ``(N, Do, Ho, Wo, C*M)`` (channels ``c*M + m``) the fused kernel also stored, else None
    (None too when there are no channels)."""
    who = "separable_conv"
    relu = fused_activation_code(activation, who)
    dk = (depthwise_kernel if isinstance(depthwise_kernel, PackedDepthwise)
          else as_array(depthwise_kernel, "depthwise_kernel"))
    pk = (pointwise_kernel if isinstance(pointwise_kernel, PackedPointwise)
          else as_array(pointwise_kernel, "pointwise_kernel"))
    bias = None if bias is None else as_array(bias, "bias")
    x5, packed, geometry, dtype, rank, data_format = _prepare(
        inputs, dk, strides, padding, data_format, dilation_rate, [pk, bias], who,
        "depthwise_kernel")
    c, m = packed.kernel_shape[-2:]
    if pk.ndim != rank + 2 or any(s != 1 for s in pk.shape[:rank]) or pk.shape[-2] != c * m:
        raise ValueError(f"{who}: `pointwise_kernel` must have shape {(1,) * rank} + "
                         f"({c * m}, filters) to follow a depthwise_kernel of shape "
                         f"{packed.kernel_shape} (in_channels * depth_multiplier = {c * m}). "
                         f"Received pointwise_kernel of shape {tuple(pk.shape)}.")
    f = pk.shape[-1]
    b = check_bias(bias, f, dtype, who)
    if isinstance(pk, PackedPointwise) and pk.dtype == dtype:
        pw = pk.blocks(c, m, _dw)
    else:  # a raw kernel, or a pack of another dtype (recast from its kernel, not truncated)
        raw = pk.kernel if isinstance(pk, PackedPointwise) else pk
        pw = _pointwise_blocks(raw.reshape(c * m, f).astype(dtype, copy=False), c, m, _dw)
    pbias = np.zeros(pw.shape[0] * pw.shape[2], dtype=dtype)  # padded like the blocks
    if b is not None:
        pbias[:f] = b
    y5 = kernel_output(x5.shape[0], geometry.rank_out_spatial, f, dtype)
    if y5.size and c * m == 0:  # no channels: every output is the bias (Keras: zeros + bias)
        y5[...] = pbias[:f]
        if relu:
            np.maximum(y5, 0, out=y5)
        return from_kernel_layout(y5, rank, data_format), None
    fn = _dw.separable_f64 if dtype == np.float64 else _dw.separable_f32
    u5 = np.empty(y5.shape[:-1] + (c * m,), dtype=dtype) if keep and y5.size else None
    # the depthwise taps and the pointwise step, per output pixel
    macs = math.prod(y5.shape[:-1]) * c * m * (math.prod(geometry.kernel_spatial) + f)
    fn(x5, packed.weights, pw, pbias, y5, geometry.kernel_spatial, geometry.strides,
       geometry.dilation, geometry.pad_before, relu, threads_for(macs),
       None if u5 is None else u5.reshape(-1))
    return from_kernel_layout(y5, rank, data_format), u5
