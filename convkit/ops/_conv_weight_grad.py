"""The driver of the weight-gradient kernel ``_conv_grad`` (docs/design/kernels.md §13).

``dK`` is one correlation of an input with an output gradient for the plain and the transposed
convolution alike (:mod:`convkit.ops.conv_grad` and :mod:`convkit.ops.conv_transpose_grad`
differ only in which operand plays which role), so the kernel's bookkeeping lives here once:
the register tile chosen from the shape (:func:`_choose_tile`), ``dy`` laid out for it
(:func:`_pack_output_gradient`), and the route, one tap at a time, folded over a padded copy
of ``x`` for few channels (:func:`_window_padded`), or with the operands' roles swapped for few
filters (:func:`_swapped_kernel_gradient`). The ops check the arguments and hand
:func:`kernel_gradient_5d` kernel-layout arrays.
"""

import numpy as np

from .. import _kernels
from .._threads import get_num_threads, threads_for

_grad = _kernels.load("_conv_grad")

# At most this many input channels (one group), the weight gradient runs every tap and channel
# as a row of one register-tile GEMM (``kernel_grad_folded``) instead of one tap at a time,
# whose tiles would hold only these few channels. It reads a zero-padded copy of x: with more
# channels (up to FOLD_MAX_CHANNELS_MANY_TAPS) that copy pays only over many taps (3-D).
FOLD_MAX_CHANNELS = 8
FOLD_MAX_CHANNELS_MANY_TAPS = 16
FOLD_MANY_TAPS = 27

# Multiply-adds per cycle of the one-vector tiles ("narrow", "short": a broadcast per
# multiply-add) relative to the two-vector "mid" tile: measured 0.71-0.73 on 16 and 32 rows
# of 32 filters (avx512). "mid" runs unless its taller row blocks waste more than that.
ONE_VECTOR_EFFICIENCY = 0.72


def _choose_tile(fg: int, dtype, rows: int | None = None) -> tuple:
    """``(tile, KB)`` of the weight-gradient tile wasting the fewest padded channels (ties:
    the one with more vectors, "wide", then "mid", then "narrow"); given the kernel's
    ``rows`` (input channels, or taps x channels folded), the one-vector tiles ("narrow",
    "short": the same ``KB``) are told apart by the rows their last tile wastes (ties: the
    taller tile), and "mid" gives way to them where its padded rows cost more than their
    one broadcast per multiply-add (``ONE_VECTOR_EFFICIENCY``)."""
    info = _grad.tile_info()
    char = "d" if dtype == np.float64 else "f"
    best = None
    # builds from before the mid or short tile (compared by benchmarks/kernel_ab.py) lack it
    for tile in ("wide", "mid", "narrow"):
        if (char, tile) not in info:
            continue
        kb = info[(char, tile)][1]
        waste = -(-fg // kb) * kb - fg
        if best is None or waste < best[0]:
            best = (waste, tile, kb)
    tile, kb = best[1:]
    if rows is None or tile == "wide":
        return tile, kb
    one_vector = "narrow"
    if (char, "short") in info:
        cb_narrow, cb_short = info[(char, "narrow")][0], info[(char, "short")][0]
        if -(-rows // cb_short) * cb_short < -(-rows // cb_narrow) * cb_narrow:
            one_vector = "short"
    if tile == "mid":
        cb_mid, cb_one = info[(char, "mid")][0], info[(char, one_vector)][0]
        # (mid won a tie on the filters: the one-vector tile pads them alike)
        if -(-rows // cb_one) * cb_one / ONE_VECTOR_EFFICIENCY >= -(-rows // cb_mid) * cb_mid:
            return tile, kb
    return one_vector, info[(char, one_vector)][1]


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
