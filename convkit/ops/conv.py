"""Forward convolution (``conv``) and the packed-weight machinery shared with ``conv_transpose``.

The kernel (``convkit/_kernels/src/_conv.pyx.tp``) computes a direct, register-blocked
convolution on C-contiguous ``(N, D, H, W, C)`` arrays with the padding handled inside the kernel.
This module validates arguments (Keras's rules and wording), computes the geometry, packs the
weights into the kernel's blocked layout and maps ``channels_first`` and 1-D/2-D to that form.
"""

import numpy as np

from .. import _kernels
from .._threads import get_num_threads
from . import _arrays, shapes
from ._geometry import conv_geometry, with_explicit_padding
from .arguments import fused_activation_code, standardize_data_format

_conv = _kernels.load("_conv")

__all__ = ["PackedConvKernel", "conv", "pack_conv_kernel"]

# Below this many multiply-adds one thread is faster than waking a team.
_PARALLEL_MIN_MACS = 200_000
# Tasks per thread the work split aims for (static schedule: balance needs several).
_TASKS_PER_THREAD = 8
# Upper bound on tiles per task, so a task's input rows stay cache-resident.
_MAX_CHUNK_TILES = 64

class _Packed:
    """One packing of a kernel: blocked weights for a given group count and tile."""

    __slots__ = ("weights", "tile", "wb", "kb", "nblk", "groups", "cg", "fg", "module")

    def __init__(self, weights, tile, wb, kb, nblk, groups, cg, fg, module):
        self.weights, self.tile, self.wb, self.kb = weights, tile, wb, kb
        self.nblk, self.groups, self.cg, self.fg, self.module = nblk, groups, cg, fg, module


def _choose_tile(fg: int, dtype: np.dtype, module) -> tuple:
    """Pick the tile wasting the fewest padded output channels (ties: the wide tile A)."""
    info = module.tile_info()
    char = "d" if dtype == np.float64 else "f"
    best = None
    for tile in ("A", "B"):
        wb, kb = info[(char, tile)]
        waste = -(-fg // kb) * kb - fg
        if best is None or waste < best[0]:
            best = (waste, tile, wb, kb)
    return best[1:]


def pack_weights(kernel5: np.ndarray, groups: int, module=None) -> _Packed:
    """Pack a ``(KD, KH, KW, Cg, F)`` kernel (compute dtype) into ``(G, nblk, taps, Cg, KB)``."""
    module = _conv if module is None else module
    kd, kh, kw, cg, f = kernel5.shape
    fg = f // groups
    tile, wb, kb = _choose_tile(fg, kernel5.dtype, module)
    nblk = max(1, -(-fg // kb))
    ntaps = kd * kh * kw
    padded = np.zeros((ntaps, cg, groups, nblk * kb), dtype=kernel5.dtype)
    padded[..., :fg] = kernel5.reshape(ntaps, cg, groups, fg)
    packed = np.ascontiguousarray(
        padded.reshape(ntaps, cg, groups, nblk, kb).transpose(2, 3, 0, 1, 4))
    return _Packed(packed.reshape(-1), tile, wb, kb, nblk, groups, cg, fg, module)


class CastKernel:
    """A kernel validated, cast to its compute dtype and frozen once (base of the packed
    kernels of conv and conv_transpose, which add their own cached packings)."""

    layout = "kernel_size + (..., ...)"

    def __init__(self, kernel, dtype=None):
        arr = _arrays.as_array(kernel, "kernel")
        if arr.ndim not in (3, 4, 5):
            raise ValueError(f"`kernel` must have rank 3, 4 or 5 ({self.layout}). "
                             f"Received kernel of shape {arr.shape}")
        if min(arr.shape) == 0:
            raise ValueError(f"`kernel` must not have zero-size axes. Received kernel of shape "
                             f"{arr.shape}")
        dtype = _arrays.compute_dtype(arr) if dtype is None else \
            _arrays.resolve_float_dtype(dtype, "dtype")
        self.kernel = np.array(arr, dtype=dtype, order="C", copy=True)
        self.kernel.setflags(write=False)
        self.dtype = dtype
        # inf/NaN weights make padding matter: 0 * inf is NaN (see with_explicit_padding)
        self.finite = bool(np.isfinite(self.kernel).all())
        self._cache = {}

    @classmethod
    def from_argument(cls, kernel, *operands) -> tuple:
        """``(packed or None, kernel array, compute dtype)`` for an op's ``kernel`` argument: a
        ready instance of this class (its dtype wins), or an array of any real dtype (rank
        checked here) whose compute dtype follows it and the other ``operands``."""
        if isinstance(kernel, cls):
            return kernel, kernel.kernel, kernel.dtype
        k = _arrays.as_array(kernel, "kernel")
        if k.ndim not in (3, 4, 5):
            raise ValueError(f"`kernel` must have rank 3, 4 or 5 ({cls.layout}). "
                             f"Received kernel of shape {tuple(k.shape)}")
        return None, k, _arrays.compute_dtype(k, *operands)

    @property
    def shape(self) -> tuple:
        return self.kernel.shape

    @property
    def ndim(self) -> int:
        return self.kernel.ndim


class PackedConvKernel(CastKernel):
    """A conv kernel cast once and packed for the compute kernels, reusable across calls.

    Advanced API: layers create one per weight value and pass it to :func:`conv` instead of the
    raw kernel, so the packing (a few microseconds to milliseconds) is not repeated per call.
    Create it with :func:`pack_conv_kernel`; it does not follow later changes to the source
    array, so make a new one when the weights change.

    Attributes
    ----------
    kernel : numpy.ndarray
        The kernel in Keras layout ``kernel_size + (C // groups, F)``, in ``dtype`` (read-only).
    dtype : numpy.dtype
        The compute dtype: inputs are cast to it.
    """

    layout = "kernel_size + (in_channels // groups, filters)"

    def packed(self, groups: int, module=None) -> _Packed:
        """The blocked weights for ``groups`` (packed on first use, then cached)."""
        key = (groups, id(module))
        if key not in self._cache:
            k = self.kernel
            k5 = k.reshape((1,) * (5 - k.ndim) + k.shape)
            self._cache[key] = pack_weights(k5, groups, module)
        return self._cache[key]


def pack_conv_kernel(kernel, dtype=None) -> PackedConvKernel:
    """Cast and pack a conv kernel once, for repeated :func:`conv` calls (advanced API).

    Parameters
    ----------
    kernel : array_like
        Keras layout ``kernel_size + (in_channels // groups, filters)``.
    dtype : {"float32", "float64"} or None
        Compute dtype; ``None``: float64 for a float64 kernel, else float32.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit.ops.conv import conv, pack_conv_kernel
    >>> k = pack_conv_kernel(np.ones((3, 3, 2, 4)))
    >>> conv(np.ones((1, 5, 5, 2), np.float32), k, padding="same").shape
    (1, 5, 5, 4)
    """
    return PackedConvKernel(kernel, dtype)


def _chunk_tiles(n_pixels: int, wb: int, outer_tasks: int, n_threads: int) -> int:
    """Tiles per task so that there are about ``_TASKS_PER_THREAD`` tasks per thread."""
    tiles = max(1, -(-n_pixels // wb))
    want_chunks = max(1, -(-_TASKS_PER_THREAD * n_threads // max(1, outer_tasks)))
    return max(1, min(_MAX_CHUNK_TILES, -(-tiles // want_chunks)))


def packed_bias(bias, f: int, p: _Packed, dtype) -> np.ndarray:
    """Bias (or zeros) laid out like the packed weights' output channels."""
    out = np.zeros((p.groups, p.nblk * p.kb), dtype=dtype)
    if bias is not None:
        out[:, :p.fg] = bias.reshape(p.groups, p.fg)
    return out.reshape(-1)


def direct_geometry(n, c, p: _Packed, *, in_spatial, out_spatial, kernel_spatial, strides,
                    dilation, pad, out_origin, out_strides, relu, n_threads, w_off=0,
                    b_off=0, out_channel_stride=1) -> list:
    """One ``N_GEOM``-entry geometry row for the direct kernel (spatial arguments: 3-tuples).

    ``out_origin`` (element offset), ``out_strides`` (elements per step of n, od, oh, ow) and
    ``out_channel_stride`` place the output grid inside the output array: the plain
    channels-last array for a conv, one phase's lattice for a transposed conv, or a
    channels-first array. ``w_off``/``b_off`` locate this geometry's packed weights and bias
    in the (concatenated) arrays passed to the kernel.
    """
    n_pixels = int(np.prod(out_spatial))
    chunk = _chunk_tiles(n_pixels, p.wb, n * p.groups * p.nblk, n_threads)
    return [n, *in_spatial, c, *out_spatial, *kernel_spatial, *strides, *dilation, *pad,
            p.groups, p.cg, p.fg, p.nblk, out_origin, *out_strides, chunk, relu, w_off,
            b_off, out_channel_stride] + [0] * 6


def direct_output(n, out_spatial, filters, rank, data_format, dtype) -> tuple:
    """The user-layout output array of a direct-kernel op and how the kernel addresses it.

    ``out_spatial`` is the 3-tuple ``(Do, Ho, Wo)``. Returns ``(out, (s_n, s_d, s_h, s_w),
    s_c)``: element strides of a batch item, of the spatial axes and of the channels. The
    kernel stores ``channels_first`` directly (channel stride = pixels per image), so no op
    transposes its result.
    """
    do, ho, wo = out_spatial
    pixels = do * ho * wo
    user_spatial = tuple(out_spatial)[3 - rank:]
    if data_format == "channels_first":
        out = np.empty((n, filters, *user_spatial), dtype=dtype)
        return out, (filters * pixels, ho * wo, wo, 1), pixels
    out = np.empty((n, *user_spatial, filters), dtype=dtype)
    return out, (pixels * filters, ho * wo * filters, wo * filters, filters), 1


def run_direct(x5, p: _Packed, bias_packed, out, *, macs, n_threads=None, **geometry) -> None:
    """Call the direct kernel for one geometry (see :func:`direct_geometry`): ``x5`` is the
    ``(N, D, H, W, C)`` input, ``out`` any C-contiguous array the geometry addresses."""
    n_threads = kernel_threads(macs, n_threads)
    geom = np.array(direct_geometry(x5.shape[0], x5.shape[-1], p, n_threads=n_threads,
                                    **geometry), dtype=np.intp)
    run_geometries(x5, p, p.weights, bias_packed, out, geom, n_threads)


def kernel_threads(macs, n_threads=None) -> int:
    """Threads for a kernel call of ``macs`` multiply-adds (1 below the parallel threshold)."""
    if n_threads is None:
        n_threads = get_num_threads()
    return 1 if macs < _PARALLEL_MIN_MACS else n_threads


def run_geometries(x5, p: _Packed, weights, bias_packed, out, geom, n_threads) -> None:
    """One kernel call over every geometry row in ``geom`` (all packed with ``p``'s tile)."""
    fn = p.module.conv_d if x5.dtype == np.float64 else p.module.conv_f
    fn(x5.reshape(-1), weights, bias_packed, out.reshape(-1), geom.reshape(-1), p.tile,
       n_threads)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1, *,
         bias=None, activation=None) -> np.ndarray:
    """N-D convolution (cross-correlation), as ``keras.ops.conv``, with optional bias and relu.

    Parameters
    ----------
    inputs : array_like
        Rank ``r + 2`` (``r`` = 1, 2 or 3 spatial axes), ``(batch, *spatial, channels)`` for
        ``channels_last``, ``(batch, channels, *spatial)`` for ``channels_first``.
    kernel : array_like or PackedConvKernel
        ``kernel_size + (channels // groups, filters)`` (Keras layout); ``groups`` is inferred
        as ``channels // kernel.shape[-2]``. A :func:`pack_conv_kernel` object is accepted too.
    strides, dilation_rate : int or tuple of int
        Per spatial axis; strides > 1 together with dilation > 1 is allowed (as keras.ops).
    padding : {"valid", "same", "causal"}
        Keras's rules: "same" pads asymmetrically (odd extra after); "causal" (rank 1 only)
        left-pads ``dilation * (kernel - 1)``.
    data_format : {"channels_last", "channels_first"} or None
        ``None``: :func:`convkit.config.image_data_format`.
    bias : array_like of shape (filters,), optional
        Added in the kernel's store.
    activation : {None, "linear", "relu"}
        Fused into the store.

    Returns
    -------
    numpy.ndarray
        A new C-contiguous array, float64 if ``inputs``, ``kernel`` or ``bias`` is float64 (a
        packed kernel's own dtype otherwise decides), else float32.

    Notes
    -----
    Padding is zeros that are multiplied: an inf or NaN weight gives NaN wherever it meets
    the padding (``0 * inf``), as in the NumPy definition and Keras. Such kernels take a
    slower path with the input padded explicitly.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> ops.conv(np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), padding="same")[0, :, :, 0]
    array([[4., 6., 6., 4.],
           [6., 9., 9., 6.],
           [6., 9., 9., 6.],
           [4., 6., 6., 4.]])
    """
    data_format = standardize_data_format(data_format)
    relu = fused_activation_code(activation)
    x = _arrays.as_array(inputs, "inputs")
    bias = None if bias is None else _arrays.as_array(bias, "bias")
    packed_kernel, k, dtype = PackedConvKernel.from_argument(kernel, x, bias)
    rank = k.ndim - 2
    if x.ndim != rank + 2:
        raise ValueError(
            "Kernel shape must have the same length as input, but received kernel of shape "
            f"{tuple(k.shape)} and input of shape {tuple(x.shape)}. (`inputs` must have rank "
            f"{rank + 2} for a rank-{rank + 2} kernel.)")
    c = shapes.channels(x, data_format)
    cg, filters = k.shape[-2], k.shape[-1]
    if c == 0 or cg == 0 or filters == 0 or min(k.shape[:-2]) == 0:
        raise ValueError("Zero channels, filters or kernel size: `inputs` has shape "
                         f"{tuple(x.shape)} and `kernel` has shape {tuple(k.shape)}")
    if c % cg:
        raise ValueError(
            "The number of input channels must be evenly divisible by kernel's in_channels. "
            f"Received input channels {c} and kernel in_channels {cg}.")
    groups = c // cg
    if filters % groups:
        raise ValueError(
            "The number of filters must be evenly divisible by the number of groups. "
            f"Received: groups={groups}, filters={filters} (groups = input channels {c} // "
            f"kernel in_channels {cg}).")
    spatial = shapes.spatial_shape(x, data_format)
    geo = conv_geometry(spatial, k.shape[:-2], strides, padding, dilation_rate, who="conv")
    b = _arrays.check_bias(bias, filters, dtype)

    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    out, out_strides, out_channel_stride = direct_output(x5.shape[0], geo.out_spatial, filters,
                                                         rank, data_format, dtype)
    if out.size:
        if packed_kernel is None:
            packed_kernel = PackedConvKernel(k, dtype)
        if not packed_kernel.finite:
            x5, geo = with_explicit_padding(x5, geo)
        p = packed_kernel.packed(groups)
        macs = out.size * int(np.prod(geo.kernel_spatial)) * cg
        run_direct(x5, p, packed_bias(b, filters, p, dtype), out,
                   in_spatial=geo.in_spatial, out_spatial=geo.out_spatial,
                   kernel_spatial=geo.kernel_spatial, strides=geo.strides,
                   dilation=geo.dilation, pad=geo.pad_before, out_origin=0,
                   out_strides=out_strides, out_channel_stride=out_channel_stride,
                   relu=relu, macs=macs)
    return out
