"""The driver of the direct convolution kernel, shared by ``conv`` and ``conv_transpose``.

The kernel (``convkit/_kernels/src/_conv.pyx.tp``) computes register-blocked convolutions on
C-contiguous ``(N, D, H, W, C)`` arrays with the padding handled inside it. This module packs
weights and bias into its blocked layout (:func:`pack_weights`, :func:`packed_bias`),
allocates the output in the user's layout (:func:`direct_output`), describes each convolution
as a ``DirectConvJob`` record (:func:`direct_conv_job`) and calls the kernel
(:func:`run_direct`, :func:`run_jobs`). ``docs/design/kernels.md`` §4, §5 and §12.
"""

from operator import itemgetter
from typing import NamedTuple

import numpy as np

from .. import _kernels
from .._threads import threads_for
from . import _arrays
from .arguments import fused_activation_code, standardize_data_format

_conv = _kernels.load("_conv")

# Tasks per thread the work split aims for: the kernel's schedule is dynamic, and several
# tasks per thread let a thread that was descheduled on a shared machine catch up.
_TASKS_PER_THREAD = 8
# Upper bound on tiles per task, so a task's input rows stay cache-resident.
_MAX_CHUNK_TILES = 64

# The fields of the kernel's ``DirectConvJob`` record, in its order (meanings: the struct in
# ``_conv.pyx.tp``). Records are filled by these names; the kernel module builds its own dtype
# from the C struct, and a module whose dtype differs is refused (``check_job_dtype``).
JOB_FIELDS = (
    "N", "D", "H", "W", "C", "Do", "Ho", "Wo", "KD", "KH", "KW", "sd", "sh", "sw",
    "dd", "dh", "dw", "pd", "ph", "pw", "G", "Cg", "Fg", "nblk",
    "o_off", "o_sn", "o_sd", "o_sh", "o_sw", "o_sc", "chunk_tiles", "relu", "w_off", "b_off",
)
DIRECT_CONV_JOB = np.dtype([(name, np.intp) for name in JOB_FIELDS])
_job_values = itemgetter(*JOB_FIELDS)  # a job dict's values, looked up by name, in field order


def check_job_dtype(module) -> None:
    """Raise ``ImportError`` unless ``module``'s ``DirectConvJob`` dtype equals this side's
    (same names, order, offsets and size)."""
    theirs = getattr(module, "DIRECT_CONV_JOB", None)
    if theirs != DIRECT_CONV_JOB:
        raise ImportError(f"{module.__name__}: its DirectConvJob record {theirs} does not "
                          f"match ops/_direct.py's {DIRECT_CONV_JOB}; rebuild the kernels")


check_job_dtype(_conv)


class PackedWeights:
    """One packing of a kernel: blocked weights for a given group count and tile."""

    __slots__ = ("weights", "tile", "wb", "kb", "nblk", "groups", "cg", "fg", "module", "gpack")

    def __init__(self, weights, tile, wb, kb, nblk, groups, cg, fg, module, gpack=1):
        self.weights, self.tile, self.wb, self.kb = weights, tile, wb, kb
        self.nblk, self.groups, self.cg, self.fg, self.module = nblk, groups, cg, fg, module
        self.gpack = gpack  # groups per tile: blocks hold gpack whole groups (group tiles)


# The register tiles of the kernel (``tile_info``): "wide" and "narrow" span the ISA's widest
# vectors, one group per block, and "slim" is one such vector of filters for more pixels; the
# group tiles "small" and "tiny" hold ``tile_groups()`` whole groups of one 32- or 16-byte
# vector of filters each (docs/design/kernels.md §5).
_ONE_GROUP_TILES = ("wide", "narrow", "slim")
# Relative cost per output lane of the one-group tiles, for _choose_tile: the slim tile
# broadcasts one input value per FMA (the wide one per four) and reads each input as often
# as it has blocks, so it is chosen only where it pads clearly fewer lanes. Measured (1
# thread, in-process, loaded 2-core Zen 4) per useful lane it ran at 0.65-1.0x the wide
# tile (0.65x for 240 filters in 15 slim blocks against 4 wide ones, 0.9-1.0x for 48-144).
_TILE_COST = {"wide": 1.0, "narrow": 1.0, "slim": 1.15}
_GROUP_TILES = ("small", "tiny")


def _tile_groups(module) -> dict:
    """``{tile: groups per tile}`` of a kernel module; builds from before the group tiles
    (compared by ``benchmarks/kernel_ab.py``) have the one-group tiles only."""
    if hasattr(module, "tile_groups"):
        return module.tile_groups()
    return dict.fromkeys(_ONE_GROUP_TILES, 1)


def _choose_tile(fg: int, dtype: np.dtype, module, groups: int = 1) -> tuple:
    """``(tile, WB, KB)`` for ``groups`` groups of ``fg`` filters.

    A cost model of the shape only: a group tile when one of its vectors is exactly ``fg``
    filters and its groups divide ``groups`` (ResNeXt's 4 or 8 filters per group: no zero
    lanes, where the narrow block would be up to seven-eighths zeros); otherwise the
    one-group tile with the lowest cost: its padded output channels times its
    ``_TILE_COST`` (ties: the wider tile, which reuses each input value more). So 16
    filters (MobileNetV2's projections, ResNeXt's 16 per group, CIFAR ResNets) or 2 (a
    segmentation head) take one slim vector instead of a half- or mostly-empty block."""
    info = module.tile_info()
    char = "d" if dtype == np.float64 else "f"
    if groups > 1:
        per_tile = _tile_groups(module)
        for tile in _GROUP_TILES:  # wider vectors first
            if tile not in per_tile:
                continue
            wb, kb = info[(char, tile)]
            if kb == per_tile[tile] * fg and groups % per_tile[tile] == 0:
                return tile, wb, kb
    return choose_one_group_tile(fg, dtype, module)


def choose_one_group_tile(fg: int, dtype: np.dtype, module) -> tuple:
    """``(tile, WB, KB)``: the one-group tile of ``module`` (its ``tile_info``) wasting the
    fewest padded output channels on ``fg`` filters (ties: the wide tile, which reuses each
    input value more). The Winograd kernel's GEMMs choose by the same rule."""
    char = "d" if dtype == np.float64 else "f"
    info = module.tile_info()
    best = None
    for tile in _ONE_GROUP_TILES:
        if (char, tile) not in info:  # a build from before the tile (A/B runs)
            continue
        wb, kb = info[(char, tile)]
        cost = -(-fg // kb) * kb * _TILE_COST[tile]
        if best is None or cost < best[0]:
            best = (cost, tile, wb, kb)
    return best[1:]


def pack_weights(kernel5: np.ndarray, groups: int, module=None, tile=None) -> PackedWeights:
    """Pack a ``(KD, KH, KW, Cg, F)`` kernel (compute dtype) into ``(G, nblk, taps, Cg, KB)``
    for ``module`` (default: the loaded ``_conv``; tests and A/B runs pass other copies), or,
    for a group tile of ``gp`` groups, ``(G / gp, 1, taps, Cg, gp * Fg)``: per tile of groups,
    tap and input channel, the filters of its groups side by side. ``tile`` (tests, A/B runs)
    forces one of the module's tiles instead of :func:`_choose_tile`'s."""
    if module is None:
        module = _conv
    else:
        check_job_dtype(module)
    kd, kh, kw, cg, f = kernel5.shape
    fg = f // groups
    if tile is None:
        tile, wb, kb = _choose_tile(fg, kernel5.dtype, module, groups)
    else:
        wb, kb = module.tile_info()[("d" if kernel5.dtype == np.float64 else "f", tile)]
    ntaps = kd * kh * kw
    gpack = _tile_groups(module)[tile]
    if gpack > 1:
        if kb != gpack * fg or groups % gpack:
            raise ValueError(f"tile {tile!r} holds {gpack} groups of {kb // gpack} filters; "
                             f"the kernel has {groups} groups of {fg}")
        packed = np.ascontiguousarray(
            kernel5.reshape(ntaps, cg, groups // gpack, kb).transpose(2, 0, 1, 3))
        return PackedWeights(packed.reshape(-1), tile, wb, kb, 1, groups, cg, fg, module, gpack)
    nblk = max(1, -(-fg // kb))
    padded = np.zeros((ntaps, cg, groups, nblk * kb), dtype=kernel5.dtype)
    padded[..., :fg] = kernel5.reshape(ntaps, cg, groups, fg)
    packed = np.ascontiguousarray(
        padded.reshape(ntaps, cg, groups, nblk, kb).transpose(2, 3, 0, 1, 4))
    return PackedWeights(packed.reshape(-1), tile, wb, kb, nblk, groups, cg, fg, module)


class OpArguments(NamedTuple):
    """What :meth:`CastKernel.op_arguments` makes of an op's arguments."""

    data_format: str
    relu: int             # the kernel's fused-activation code
    inputs: np.ndarray
    bias: np.ndarray | None
    packed: "CastKernel | None"  # the kernel argument when it came ready-made
    kernel: np.ndarray
    dtype: np.dtype       # the compute dtype
    rank: int             # spatial axes


class CastKernel:
    """A kernel validated, cast to its compute dtype and frozen once (base of the packed
    kernels of conv and conv_transpose, which add their own cached packings)."""

    layout = "kernel_size + (..., ...)"
    argument = "kernel"  # the op argument it stands for, named in errors

    def __init__(self, kernel, dtype=None):
        name = self.argument
        arr = _arrays.as_array(kernel, name)
        if arr.ndim not in (3, 4, 5):
            raise ValueError(f"`{name}` must have rank 3, 4 or 5 ({self.layout}). "
                             f"Received {name} of shape {arr.shape}")
        if min(arr.shape) == 0:
            raise ValueError(f"`{name}` must not have zero-size axes. Received {name} of shape "
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

    @classmethod
    def op_arguments(cls, inputs, kernel, bias, data_format, activation) -> "OpArguments":
        """The arguments every direct-kernel op reads first, checked and converted once."""
        data_format = standardize_data_format(data_format)
        relu = fused_activation_code(activation)
        x = _arrays.as_array(inputs, "inputs")
        bias = None if bias is None else _arrays.as_array(bias, "bias")
        packed, k, dtype = cls.from_argument(kernel, x, bias)
        return OpArguments(data_format, relu, x, bias, packed, k, dtype, k.ndim - 2)

    @property
    def shape(self) -> tuple:
        return self.kernel.shape

    @property
    def ndim(self) -> int:
        return self.kernel.ndim


def _chunk_tiles(n_pixels: int, wb: int, outer_tasks: int, n_threads: int) -> int:
    """Tiles per task so that there are about ``_TASKS_PER_THREAD`` tasks per thread."""
    tiles = max(1, -(-n_pixels // wb))
    want_chunks = max(1, -(-_TASKS_PER_THREAD * n_threads // max(1, outer_tasks)))
    return max(1, min(_MAX_CHUNK_TILES, -(-tiles // want_chunks)))


def packed_bias(bias, f: int, p: PackedWeights, dtype) -> np.ndarray:
    """Bias (or zeros) laid out like the packed weights' output channels."""
    blocks = p.groups // p.gpack  # a group tile's block holds gpack groups' filters
    out = np.zeros((blocks, p.nblk * p.kb), dtype=dtype)
    if bias is not None:
        out[:, :p.gpack * p.fg] = bias.reshape(blocks, p.gpack * p.fg)
    return out.reshape(-1)


def direct_conv_job(n, c, p: PackedWeights, *, in_spatial, out_spatial, kernel_spatial,
                    strides, dilation, pad, out_origin, out_strides, relu, n_threads, w_off=0,
                    b_off=0, out_channel_stride=1) -> dict:
    """The fields of one ``DirectConvJob`` record, by name (spatial arguments: 3-tuples over
    ``(D, H, W)``).

    ``out_origin`` (element offset), ``out_strides`` (elements per step of n, od, oh, ow) and
    ``out_channel_stride`` place the output grid inside the output array: the plain
    channels-last array for a conv, one phase's lattice for a transposed conv, or a
    channels-first array. ``w_off``/``b_off`` locate this job's packed weights and bias in
    the (concatenated) arrays passed to the kernel. ``n_threads`` sizes the work split.
    """
    (d, h, w), (do, ho, wo) = in_spatial, out_spatial
    (kd, kh, kw), (sd, sh, sw), (dd, dh, dw), (pd, ph, pw) = (kernel_spatial, strides,
                                                              dilation, pad)
    o_sn, o_sd, o_sh, o_sw = out_strides
    return {
        "N": n, "D": d, "H": h, "W": w, "C": c, "Do": do, "Ho": ho, "Wo": wo,
        "KD": kd, "KH": kh, "KW": kw, "sd": sd, "sh": sh, "sw": sw,
        "dd": dd, "dh": dh, "dw": dw, "pd": pd, "ph": ph, "pw": pw,
        "G": p.groups, "Cg": p.cg, "Fg": p.fg, "nblk": p.nblk,
        "o_off": out_origin, "o_sn": o_sn, "o_sd": o_sd, "o_sh": o_sh, "o_sw": o_sw,
        "o_sc": out_channel_stride,
        "chunk_tiles": _chunk_tiles(do * ho * wo, p.wb, n * p.groups // p.gpack * p.nblk,
                                    n_threads),
        "relu": relu, "w_off": w_off, "b_off": b_off,
    }


def job_records(jobs: list) -> np.ndarray:
    """A ``DIRECT_CONV_JOB`` array from :func:`direct_conv_job` dicts, each field set from
    the entry of its name (a missing or unknown name raises)."""
    try:
        rows = [_job_values(job) for job in jobs]
    except KeyError as name:
        raise KeyError(f"DirectConvJob field missing: {name}") from None
    if any(len(job) != len(JOB_FIELDS) for job in jobs):  # all present: more means unknown
        unknown = sorted({name for job in jobs for name in job} - set(JOB_FIELDS))
        raise KeyError(f"DirectConvJob fields unknown: {unknown}")
    return np.array(rows, dtype=DIRECT_CONV_JOB)


def job_table(records: np.ndarray) -> np.ndarray:
    """``DIRECT_CONV_JOB`` records as the kernel takes them: the same bytes viewed as an
    ``(n_jobs, fields)`` intp table (every field is an intp, in the struct's order)."""
    return records.view(np.intp).reshape(records.shape[0], len(JOB_FIELDS))


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


def run_direct(x5, p: PackedWeights, bias_packed, out, *, macs, n_threads=None,
               **job) -> None:
    """Run one convolution of ``macs`` multiply-adds (keywords: :func:`direct_conv_job`'s):
    ``x5`` is the ``(N, D, H, W, C)`` input, ``out`` any C-contiguous array the job
    addresses. ``n_threads`` (default: the thread policy's count) is an upper bound;
    :func:`convkit._threads.threads_for` decides whether the call is worth a team."""
    n_threads = threads_for(macs, n_threads)
    record = direct_conv_job(x5.shape[0], x5.shape[-1], p, n_threads=n_threads, **job)
    run_jobs(x5, p, p.weights, bias_packed, out, [record], n_threads)


def run_jobs(x5, p: PackedWeights, weights, bias_packed, out, jobs: list,
             n_threads: int) -> None:
    """One kernel call running every job in ``jobs`` (:func:`direct_conv_job` dicts, all
    packed with ``p``'s tile and module) on at most ``n_threads`` threads."""
    fn = p.module.conv_d if x5.dtype == np.float64 else p.module.conv_f
    fn(x5.reshape(-1), weights, bias_packed, out.reshape(-1), job_table(job_records(jobs)),
       p.tile, n_threads)
