"""Transposed convolution by phase (sub-pixel) decomposition on the direct conv kernel.

Keras's transposed conv scatters ``x[i] @ K[t]`` into ``full[i*s + t*d]`` and reads the output at
``y[j] = full[j + c0]`` (docs/design/keras_parity.md §3.2). Along one axis, the outputs
``j = p + s*m`` of one phase ``p`` receive exactly the taps ``t`` with ``t*d ≡ p + c0 (mod s)``,
from input ``i = m + (p + c0 - t*d) / s``. Listing those taps backwards turns that sum into an
ordinary stride-1 correlation of the input (dilation ``d / gcd(s, d)``, a possibly negative pad)
with a sub-kernel whose channel axes are swapped, writing a disjoint strided lattice of the output.
So every output element is written once, by the forward kernel: no scatter, no atomics; outputs no
tap reaches get the bias (zero tails). Sub-kernels depend only on the residue ``(p + c0) mod s``, so
a packed kernel serves every padding and output_padding.

Two shapes take other routes (docs/design/kernels.md §17): the W phases can run as one job whose
filters are the phases' filters side by side (:func:`_width_merge`: a pixel shuffle when
``kernel_w == strides_w``; for other kernels when the phases' filter blocks would run mostly
empty), and with few filters one 1x1 conv computes every tap's products and a kernel adds them
into the output (:func:`_by_columns`).

Which taps each phase has, the correlation that computes it and the packed sub-kernels are in
:mod:`convkit.ops._conv_transpose_phases`; this module holds the op, its checks and the paths
that run it.
"""

import math

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays, _direct, shapes
from ._conv_transpose_phases import (  # noqa: F401  (_phase_taps: re-exported, moved from here)
    PackedConvTransposeKernel,
    _axis_phase,
    _merged_width_offsets,
    _phase_taps,
    as_conv_layout,
)
from ._direct import direct_conv_job, direct_output, packed_bias, run_direct, run_jobs
from .arguments import standardize_output_padding, standardize_padding, standardize_tuple
from .conv import conv

__all__ = ["PackedConvTransposeKernel", "conv_transpose", "pack_conv_transpose_kernel"]

_overlap = _kernels.load("_overlap_add")


def pack_conv_transpose_kernel(kernel, strides, dilation_rate=1,
                               dtype=None) -> PackedConvTransposeKernel:
    """Cast a transposed-conv kernel once for repeated :func:`conv_transpose` calls (advanced).

    Parameters
    ----------
    kernel : array_like
        Keras's transposed layout ``kernel_size + (filters, in_channels)``.
    strides, dilation_rate : int or tuple of int
        Must equal the values later passed to :func:`conv_transpose`.
    dtype : {"float32", "float64"} or None
        Compute dtype; ``None``: float64 for a float64 kernel, else float32.

    Returns
    -------
    PackedConvTransposeKernel
        An object :func:`conv_transpose` (with the same ``strides`` and ``dilation_rate``)
        accepts in place of ``kernel``.

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
    >>> from convkit import ops
    >>> kernel = np.ones((3, 2, 1))  # kernel_size + (filters, in_channels)
    >>> packed = ops.pack_conv_transpose_kernel(kernel, strides=2)
    >>> x = np.ones((1, 4, 1))
    >>> np.array_equal(ops.conv_transpose(x, packed, 2), ops.conv_transpose(x, kernel, 2))
    True
    """
    return PackedConvTransposeKernel(kernel, strides, dilation_rate, dtype)


def conv_transpose(inputs, kernel, strides, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, *, groups=1, bias=None,
                   activation=None) -> np.ndarray:
    """Transposed convolution, as ``keras.ops.conv_transpose``, with optional bias and relu.

    Parameters
    ----------
    inputs : array_like
        Rank ``r + 2`` (``r`` = 1, 2, 3), channels last or first per ``data_format``.
    kernel : array_like or PackedConvTransposeKernel
        Keras's transposed layout ``kernel_size + (filters // groups, in_channels)``; with
        ``groups == 1`` (Keras's transposed layers have no groups) that is
        ``kernel_size + (filters, in_channels)``.
    strides, dilation_rate : int or tuple of int
    padding : {"valid", "same"}
    output_padding : None, int or tuple of int
        Each entry ``< strides`` on its axis. Output length per axis:
        valid ``(n-1)*s + ek + op`` (``op=None``:
        ``max(ek, s) - ek``); same ``n*s`` for ``None``, else ``(n-1)*s + ek % 2 + op``, with
        ``ek = (k-1)*d + 1``.
    data_format : {"channels_last", "channels_first"} or None
    groups : int
        Grouped transposed conv (not in Keras; the input gradient of a grouped conv needs
        it): input channels ``[g*Cg, (g+1)*Cg)`` (``Cg = in_channels // groups``) reach only
        output channels ``[g*Fg, (g+1)*Fg)``, ``Fg = kernel.shape[-2]``, through
        ``kernel[..., f, g*Cg + ci]``; ``filters = groups * Fg``. This is exactly the
        adjoint of :func:`convkit.ops.conv` with the same kernel array read in the conv
        layout ``kernel_size + (filters_of_that_conv // groups, its_filters)``.
    bias : array_like of shape (filters,), optional
    activation : {None, "linear", "relu"}

    Returns
    -------
    numpy.ndarray
        New C-contiguous array; zero-length output axes give an empty array (no error).

    Raises
    ------
    ValueError
        If ``inputs`` and ``kernel`` do not have matching ranks or channel counts, if an
        argument is out of range (the message names it), or if the output would be empty.
    TypeError
        If ``inputs`` or a weight is a complex, object or string array.

    Notes
    -----
    An inf or NaN weight reaches exactly the outputs its products with real inputs reach,
    by the definition ``full[i*s + t*d] += x[i] @ K[t]``. XLA's strided 1-D/2-D transposed
    convs agree (Keras on jax); its stride-1 and 3-D ones, and PyTorch on some edge rows,
    also multiply inserted or padding zeros. Such kernels take a slower path, tap by tap.

    Examples
    --------
    >>> import numpy as np
    >>> from convkit import ops
    >>> x = np.array([1.0, 0, 0]).reshape(1, 3, 1)
    >>> k = np.arange(1.0, 4).reshape(3, 1, 1)
    >>> ops.conv_transpose(x, k, 2, padding="same")[0, :, 0]
    array([1., 2., 3., 0., 0., 0.])
    """
    data_format, relu, x, bias, packed, k, dtype, rank = PackedConvTransposeKernel.op_arguments(
        inputs, kernel, bias, data_format, activation)
    if x.ndim != rank + 2:
        raise ValueError(f"conv_transpose: `inputs` must have rank {rank + 2} for a rank-"
                         f"{rank + 2} kernel of shape {tuple(k.shape)}. Received inputs of "
                         f"shape {tuple(x.shape)}")
    strides = standardize_tuple(strides, rank, "strides")
    dilation = standardize_tuple(dilation_rate, rank, "dilation_rate")
    padding = standardize_padding(padding)
    op = standardize_output_padding(output_padding, strides)
    groups = check_groups(groups)
    c = shapes.channels(x, data_format)
    filters = k.shape[-2] * groups
    if c == 0 or min(k.shape) == 0:
        raise ValueError("Zero channels, filters or kernel size: `inputs` has shape "
                         f"{tuple(x.shape)} and `kernel` has shape {tuple(k.shape)}")
    if c != k.shape[-1]:
        raise ValueError(
            "The number of input channels must match the kernel's input channels. Received: "
            f"input channels={c}, kernel input channels={k.shape[-1]}, "
            f"data_format='{data_format}'.")
    if c % groups:
        raise ValueError(
            "The number of input channels must be evenly divisible by the number of groups. "
            f"Received: input channels={c}, groups={groups}.")
    if packed is not None and (packed.strides != strides or packed.dilation_rate != dilation):
        raise ValueError("The packed kernel was made for strides="
                         f"{packed.strides}, dilation_rate={packed.dilation_rate}; received "
                         f"strides={strides}, dilation_rate={dilation}")
    b = _arrays.check_bias(bias, filters, dtype)
    spatial = shapes.spatial_shape(x, data_format)
    ks = k.shape[:-2]
    ops_ = (None,) * rank if op is None else op
    out_sp = tuple(max(0, shapes.transpose_output_length(n, kk, s, d, padding, o))
                   for n, kk, s, d, o in zip(spatial, ks, strides, dilation, ops_, strict=True))
    crops = tuple(shapes.transpose_crop(kk, s, d, padding, o)
                  for kk, s, d, o in zip(ks, strides, dilation, ops_, strict=True))
    x5 = _arrays.to_kernel_layout(np.asarray(x, dtype=dtype), data_format)
    if packed is None:
        packed = PackedConvTransposeKernel(k, strides, dilation, dtype)
    return conv_transpose_5d(x5, packed, groups, crops, out_sp, b, relu, data_format)


def check_groups(groups) -> int:
    """``groups`` as a positive int, or Keras's error."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups <= 0:
        raise ValueError("The number of groups must be a positive integer. "
                         f"Received: groups={groups}.")
    return int(groups)


def conv_transpose_5d(x5, packed: PackedConvTransposeKernel, groups: int, crops: tuple,
                      out_spatial: tuple, bias, relu: int, data_format: str) -> np.ndarray:
    """The phase-decomposition part of :func:`conv_transpose`, for checked arguments.

    ``x5`` is the ``(N, D, H, W, C)`` input in the kernel's dtype. Output ``j`` along an axis
    reads the full scatter buffer at ``j + crops[axis]``; ``out_spatial`` may be any length
    (the gradient ops pick crop and length freely: buffer positions no tap reaches give the
    bias). Both are per user spatial axis. Returns the output in ``data_format``.
    """
    k = packed.kernel
    rank = k.ndim - 2
    dtype = packed.dtype
    c, f = x5.shape[-1], k.shape[-2] * groups
    lead = 3 - rank
    s3, d3 = (1,) * lead + packed.strides, (1,) * lead + packed.dilation_rate
    c3, o3 = (0,) * lead + tuple(crops), (1,) * lead + tuple(out_spatial)
    in3 = x5.shape[1:4]
    out, (osn, osd, osh, osw), osc = direct_output(x5.shape[0], o3, f, rank, data_format, dtype)
    if out.size == 0:
        return out
    if not packed.finite:
        return _scatter_by_tap(x5, as_conv_layout(packed.kernel, groups), s3, d3, c3, o3,
                               bias, relu, rank, data_format)
    if min(in3) > 0 and _columns_pay(packed, groups, s3):  # (no input: zeros and bias)
        return _by_columns(x5, packed, s3, d3, c3, o3, bias, relu, out, (osn, osd, osh, osw),
                           osc)
    # every phase's job, weights and bias, run as one task list (one parallel region)
    jobs, weights, biases = [], [], []
    w_off = b_off = 0
    # every input pixel meets every tap once (the phases only drop the taps past the output
    # ends), so this is the call's work; the same count sizes the work split and runs it
    macs = x5.shape[0] * math.prod(in3) * math.prod(packed.kernel.shape[:-2]) * (c // groups) * f
    n_threads = threads_for(macs)
    # output columns per W block when the W phases are merged into output channels (0: not)
    block = _width_merge(packed, groups, data_format, x5, c3[2], o3[2])
    # with the W phases merged, a job covers every W phase at once
    for phase in np.ndindex(*s3[:2], 1 if block else s3[2]):
        counts = [-(-(o3[a] - phase[a]) // s3[a]) for a in range(3)]
        if min(counts) <= 0:
            continue  # output shorter than the stride: this phase is empty
        residues = tuple((phase[a] + c3[a]) % s3[a] for a in range(3))
        step_w = s3[2]  # output columns per job column
        if block:
            p, taps = packed.shuffled_phase(residues[:2], c3[2], block)
            taps = [*taps, [0]]  # W is set below, from the merged kernel's offsets
            bias_f = None if bias is None else np.tile(bias, block)
            counts[2], step_w = o3[2] // block, block
        else:
            p, taps = packed.phase(residues, groups)
            bias_f = bias
        axes = [_axis_phase(taps[a], phase[a] + c3[a], s3[a], d3[a]) for a in range(3)]
        if block:
            e0, u = _merged_width_offsets(packed.kernel.shape[-3], s3[2], c3[2] % s3[2], block)
            axes[2] = (u, 1, -(c3[2] // s3[2] + e0))
        kshape, dil, pad = zip(*axes, strict=True)
        pb = packed_bias(bias_f, p.groups * p.fg, p, dtype)
        jobs.append(direct_conv_job(
            x5.shape[0], c, p, in_spatial=in3, out_spatial=tuple(counts),
            kernel_spatial=kshape, strides=(1, 1, step_w // s3[2]), dilation=dil,
            pad=pad, out_origin=phase[0] * osd + phase[1] * osh + phase[2] * osw,
            out_strides=(osn, s3[0] * osd, s3[1] * osh, step_w * osw), out_channel_stride=osc,
            relu=relu, n_threads=n_threads, w_off=w_off, b_off=b_off))
        weights.append(p.weights)
        biases.append(pb)
        w_off += p.weights.size
        b_off += pb.size
    if jobs:  # every phase has the same filters, hence the same tile
        run_jobs(x5, p, np.concatenate(weights), np.concatenate(biases), out, jobs, n_threads)
    return out


# column blocks tried by _width_merge, in strides_w: 1 (the phases of one input column), 2, 4
_MERGE_BLOCKS = (1, 2, 4)


def _width_merge(packed: PackedConvTransposeKernel, groups: int, data_format: str, x5,
                 crop_w: int, out_w: int) -> int:
    """The output columns per block when the W phases run as one job whose output channels
    are those columns' filters side by side (:meth:`PackedConvTransposeKernel
    .shuffled_phase`), or 0 for one job per W phase.

    In channels_last, ``b`` consecutive output columns are ``b*F`` contiguous values, stored
    straight from the registers. With ``kernel_w == strides_w`` (the U-Net's 2x2
    up-convolutions) one tap feeds the ``s_w`` columns of an input column: ``s_w`` times
    fewer jobs, each reading the input once (1.2-1.3x less CPU). Otherwise some merged taps
    are zeros for some columns (3x3 stride 2: 2 taps of which 3 of 4 column-taps are real),
    which pays when the phases' filter blocks run mostly empty: 16 filters in the 32 lanes of
    float32 blocks (the autoencoder's convT16/2 and the input gradient of its conv32/2, 1.5x
    fewer block-taps; at stride 1, blocks of 2 columns: the input gradient of its conv16→1).
    The block (``s_w`` times 1, 2 or 4) with the fewest block-taps per output column is
    taken when it has fewer than the phases, and, with zero taps, only for a finite input (a
    zero weight times an inf input would put a NaN where the definition has no product).
    Needs one group (a group's filters must stay contiguous), no W dilation, channels_last
    and whole blocks (``out_w`` a multiple of the block)."""
    k_w, s_w, d_w = packed.kernel.shape[-3], packed.strides[-1], packed.dilation_rate[-1]
    if not (d_w == 1 and groups == 1 and data_format == "channels_last" and out_w > 0):
        return 0
    f, r = packed.kernel.shape[-2], crop_w % s_w
    if s_w > 1 and k_w == s_w and r == 0 and out_w % s_w == 0:
        return s_w  # a pixel shuffle: no zero taps, never more block-taps
    # block-taps per output column: the phases (each W tap once per s_w columns) and merged
    best, best_cost = 0, k_w * _padded_filters(f, packed.dtype) / s_w
    for q in _MERGE_BLOCKS:
        block = q * s_w
        if block == 1 or out_w % block:
            continue
        _, u = _merged_width_offsets(k_w, s_w, r, block)
        cost = u * _padded_filters(block * f, packed.dtype) / block
        if cost < best_cost:
            best, best_cost = block, cost
    return best if best and np.isfinite(x5).all() else 0


def _padded_filters(filters: int, dtype) -> int:
    """The lanes ``filters`` take in the direct kernel's register tiles (its tile choice)."""
    _, _, kb = _direct._choose_tile(filters, dtype, _direct._conv)  # noqa: SLF001
    return -(-filters // kb) * kb


def _columns_pay(packed: PackedConvTransposeKernel, groups: int, s3: tuple) -> bool:
    """Whether few filters make the phase kernels waste so much of their register tiles that
    one 1x1 conv to ``taps * F`` filters plus an overlap-add is cheaper (:func:`_by_columns`).

    The phase kernels' cost follows their padded filter blocks, ``F`` of ``ceil(F/KB)*KB``
    lanes used (3 of 32 for a DCGAN's RGB layer); the columns' conv uses ``taps*F`` of its
    blocks but writes ``taps / prod(strides)`` times the output once more and reads it back.
    Taken when the phases use at most a quarter of their lanes and the columns twice as
    many, and the columns are at most 16 times the output (one group only: the columns'
    filters are the kernel's as they are laid out).
    """
    k = packed.kernel
    taps, f = math.prod(k.shape[:-2]), k.shape[-2]
    if groups != 1 or taps == 1 or taps > 16 * math.prod(s3):
        return False
    used = []
    for filters in (f, taps * f):
        _, _, kb = _direct._choose_tile(filters, packed.dtype, _direct._conv)  # noqa: SLF001
        used.append(filters / (-(-filters // kb) * kb))
    return used[0] <= 0.25 and used[1] >= 2 * used[0]


def _by_columns(x5, packed: PackedConvTransposeKernel, s3, d3, c3, o3, bias, relu: int, out,
                out_strides: tuple, out_channel_stride: int) -> np.ndarray:
    """The transposed conv as its definition in two passes: every product ``x[i] @ K[t]``
    by one 1x1 conv (the columns, ``(N, D, H, W, taps*F)``), then ``full[i*s + t*d] +=``
    those, cropped, plus bias and relu, by the overlap-add kernel (``_overlap_add.pyx``).
    Only products of real inputs exist, as in the oracle."""
    k5 = packed.kernel.reshape((1,) * (5 - packed.kernel.ndim) + packed.kernel.shape)
    kd, kh, kw, f, c = k5.shape
    n, in3 = x5.shape[0], x5.shape[1:4]
    width = kd * kh * kw * f
    p = packed.columns()
    cols = np.empty((n, *in3, width), dtype=packed.dtype)
    row = in3[2] * width
    run_direct(x5, p, packed_bias(None, width, p, packed.dtype), cols,
               macs=cols.size * c, in_spatial=in3, out_spatial=in3, kernel_spatial=(1, 1, 1),
               strides=(1, 1, 1), dilation=(1, 1, 1), pad=(0, 0, 0), out_origin=0,
               out_strides=(in3[0] * in3[1] * row, in3[1] * row, row, width),
               out_channel_stride=1, relu=0)
    geometry = np.array([n, *in3, kd, kh, kw, f, *s3, *d3, *c3, *o3, *out_strides,
                         out_channel_stride], dtype=np.intp)
    b = np.zeros(f, packed.dtype) if bias is None else np.ascontiguousarray(bias, packed.dtype)
    _overlap.overlap_add(cols.reshape(-1), b, out.reshape(-1), geometry, relu,
                         threads_for(cols.nbytes + out.nbytes))
    return out


def _scatter_by_tap(x5, kernel, s3, d3, c3, o3, bias, relu, rank, data_format) -> np.ndarray:
    """The transposed conv as its definition: ``x[i] @ K[t]`` added into ``full[i*s + t*d]``,
    with ``kernel`` in the conv layout (:func:`as_conv_layout`: ``(..., Cg, filters)``),
    tap by tap (a 1x1 conv each), then cropped; for kernels holding inf or NaN.

    The phase kernels skip products with the zeros between and around the inputs only where a
    whole tile's taps fall outside, so ``0 * inf = NaN`` would appear in some outputs and not
    others, by tiling. Here only products of real inputs exist, as in the NumPy oracle (see
    :func:`conv_transpose` for how XLA and PyTorch compare). Slow, and only taken for
    non-finite weights. (One 1x1 conv for all taps at once was slower, 12-16 ms against
    9.6-9.8 for convT2d: the adds then read a taps-times larger array with a stride.)
    """
    k5 = kernel.reshape((1,) * (5 - kernel.ndim) + kernel.shape)
    n_in = x5.shape[1:4]
    full_sp = [max((n - 1) * s + (k - 1) * d + 1, c + o)
               for n, k, s, d, c, o in zip(n_in, k5.shape[:3], s3, d3, c3, o3, strict=True)]
    full = np.zeros((x5.shape[0], *full_sp, k5.shape[-1]), dtype=x5.dtype)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN here, as in kernels
        for tap in np.ndindex(*k5.shape[:3]):
            window = tuple(slice(t * d, t * d + (n - 1) * s + 1, s)
                           for t, d, s, n in zip(tap, d3, s3, n_in, strict=True))
            full[(slice(None), *window)] += conv(x5, k5[tap][None, None, None],
                                                 data_format="channels_last")
        y5 = full[(slice(None), *(slice(c, c + o) for c, o in zip(c3, o3, strict=True)))]
        if bias is not None:
            y5 = y5 + bias
    if relu:
        y5 = np.where(y5 < 0, y5.dtype.type(0), y5)  # NaN and -0.0 kept, as the kernels' relu
    return _arrays.from_kernel_layout(np.ascontiguousarray(y5), rank, data_format)
