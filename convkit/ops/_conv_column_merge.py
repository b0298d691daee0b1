"""Few-filter forward convolutions with blocks of output columns merged into output channels.

With 1-4 filters the direct kernel's register tile (one vector of 16 float32 filters with
AVX-512, the "slim" tile) runs 1-4 useful lanes. As the transposed convolution does for its
W phases (``conv_transpose._width_merge``, docs/design/kernels.md §17), ``b`` consecutive
output columns can be computed as ``b*F`` output channels of one job: its W stride is
``b*s_w``, its kernel has ``u = (b-1)*s_w + k_w`` taps along W, and merged filter ``(p, f)``
at merged tap ``e`` is ``kernel[e - p*s_w, f]`` where that tap exists, else 0. In
channels_last the ``b*F`` values of a block are contiguous, so the kernel stores them from
its registers. Output columns past the last whole block run as a second job of the same
kernel call, with the plain kernel packed for the same tile (docs/design/kernels.md §5).

The merged kernel's zero taps multiply real inputs. The nonzero products are summed in the
same order as without the merge and adding an exact zero changes no sum, so a finite result
is bit-identical to the plain job's; an inf or NaN input would make ``0 * inf`` a NaN where
Keras has no product, so a result holding an inf or NaN is computed again without the merge
(``ops._arrays.all_finite`` decides, in ``_conv_plans``), as the Winograd path does.
"""

import numpy as np

from . import _direct
from ._direct import direct_conv_job, pack_weights, packed_bias

# Column blocks tried: up to 32 columns (a 16-lane block of 1 filter, or 2x that for float32
# wide blocks); longer merged rows only add zero taps.
_MAX_BLOCK = 32
# A merge must save at least this fraction of the plain job's lane-taps (the cost model
# ignores the tail job and the longer tap rows' extra input reads).
_MIN_SAVING = 0.8


class ColumnMerge:
    """The packed weights of one column-merged convolution: ``merged`` (``block`` columns
    of ``F`` filters side by side) and ``tail`` (the plain kernel, packed for the same tile,
    for the columns past the last whole block), concatenated in ``weights``."""

    __slots__ = ("block", "merged", "tail", "weights", "filters", "taps_w")

    def __init__(self, kernel5: np.ndarray, block: int, s_w: int, module=None):
        kd, kh, kw, c, f = kernel5.shape
        u = (block - 1) * s_w + kw
        # merged[.., e, c, p*F + f] = kernel[.., e - p*s_w, c, f] where 0 <= e - p*s_w < k_w
        t = np.arange(u)[:, None] - s_w * np.arange(block)[None, :]  # (u, block)
        real = ((t >= 0) & (t < kw))[None, None, :, None, :, None]
        taps = np.where(real, kernel5[:, :, np.clip(t, 0, kw - 1)].transpose(0, 1, 2, 4, 3, 5),
                        0)  # (kd, kh, u, c, block, f)
        merged = np.ascontiguousarray(taps.reshape(kd, kh, u, c, block * f), kernel5.dtype)
        self.block, self.filters, self.taps_w = block, f, u
        self.merged = pack_weights(merged, 1, module)
        self.tail = pack_weights(kernel5, 1, module, self.merged.tile)
        self.weights = np.concatenate([self.merged.weights, self.tail.weights])

    def bias(self, bias, dtype) -> np.ndarray:
        """``bias`` (or zeros) packed for both jobs: the merged job's ``block`` copies, then
        the tail job's."""
        tiled = None if bias is None else np.tile(bias, self.block)
        return np.concatenate([packed_bias(tiled, self.block * self.filters, self.merged, dtype),
                               packed_bias(bias, self.filters, self.tail, dtype)])

    def jobs(self, n, c, geometry, out_strides, relu, n_threads) -> list:
        """The :func:`~convkit.ops._direct.direct_conv_job` records of a channels_last
        convolution of ``geometry``: the whole blocks, then (if any) the tail columns."""
        wo = geometry.out_spatial[2]
        whole, tail = divmod(wo, self.block)
        kd, kh, _ = geometry.kernel_spatial
        sd, sh, sw = geometry.strides
        pd, ph, pw = geometry.pad_before
        o_sn, o_sd, o_sh, o_sw = out_strides
        common = dict(in_spatial=geometry.in_spatial, dilation=geometry.dilation, relu=relu,
                      n_threads=n_threads, out_channel_stride=1)
        jobs = []
        if whole:
            jobs.append(direct_conv_job(
                n, c, self.merged, out_spatial=(*geometry.out_spatial[:2], whole),
                kernel_spatial=(kd, kh, self.taps_w), strides=(sd, sh, self.block * sw),
                pad=(pd, ph, pw), out_origin=0, out_strides=(o_sn, o_sd, o_sh,
                                                             self.block * o_sw),
                w_off=0, b_off=0, **common))
        if tail:
            first = whole * self.block  # output column of the tail's column 0
            jobs.append(direct_conv_job(
                n, c, self.tail, out_spatial=(*geometry.out_spatial[:2], tail),
                kernel_spatial=geometry.kernel_spatial, strides=geometry.strides,
                pad=(pd, ph, pw - first * sw), out_origin=first * o_sw,
                out_strides=out_strides, w_off=self.merged.weights.size,
                b_off=self.merged.groups * self.merged.nblk * self.merged.kb, **common))
        return jobs


def column_block(packed_kernel, groups: int, geometry, data_format: str) -> int:
    """Output columns per block for a column-merged run of this convolution, or 0 for the
    plain job.

    Needs a finite kernel (a zero tap times a padding zero is harmless, but an inf weight
    would meet more zeros), one group (a group's filters must stay contiguous), no W
    dilation, channels_last and no forced tile. The cost model counts the register lanes
    each output column's taps occupy (padded filters times the tile's ``_TILE_COST``): the
    plain job ``k_w * lanes(F)``, a block of ``b`` columns ``u * lanes(b*F) / b``. The
    cheapest block is taken when it costs at most ``_MIN_SAVING`` of the plain job; so 1x1
    kernels (``u = b``: the same lanes per column) stay plain. ``packed_kernel.column_merge``
    may force a block (an int, tests and A/B runs) or turn the merge off (``False``)."""
    wo = geometry.out_spatial[2]
    if (not packed_kernel.finite or groups != 1 or geometry.dilation[2] != 1
            or data_format != "channels_last" or packed_kernel.tile is not None or wo < 2
            or not packed_kernel.column_merge):
        return 0
    if packed_kernel.column_merge is not True:  # a block forced by a test or an A/B run
        return min(int(packed_kernel.column_merge), wo)
    kw, f = geometry.kernel_spatial[2], packed_kernel.shape[-1]
    s_w, dtype = geometry.strides[2], packed_kernel.dtype
    plain = kw * _lanes(f, dtype)
    best, best_cost = 0, _MIN_SAVING * plain
    for block in range(2, min(_MAX_BLOCK, wo) + 1):
        cost = ((block - 1) * s_w + kw) * _lanes(block * f, dtype) / block
        if cost < best_cost:
            best, best_cost = block, cost
    return best


def _lanes(filters: int, dtype) -> float:
    """Register lanes ``filters`` occupy in the tile the direct kernel chooses for them,
    weighted by that tile's relative cost per lane."""
    tile, _, kb = _direct._choose_tile(filters, np.dtype(dtype), _direct._conv)  # noqa: SLF001
    return -(-filters // kb) * kb * _direct._TILE_COST[tile]  # noqa: SLF001


def merged_weights(packed_kernel, block: int, s_w: int) -> ColumnMerge:
    """``packed_kernel``'s :class:`ColumnMerge` for ``block`` columns at W stride ``s_w``
    (built on first use, then cached on the packed kernel)."""
    key = ("column_merge", block, s_w)
    cache = packed_kernel._cache  # noqa: SLF001
    if key not in cache:
        k = packed_kernel.kernel
        cache[key] = ColumnMerge(k.reshape((1,) * (5 - k.ndim) + k.shape), block, s_w)
    return cache[key]


__all__ = ["ColumnMerge", "column_block", "merged_weights"]
