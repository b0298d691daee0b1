"""The driver of the Winograd F(4x4, 3x3) kernel (``convkit/_kernels/src/_winograd.pyx.tp``),
2-D 3x3 and 3-D 3x3x3 (three depth taps summed in the Winograd domain).

Which convolutions it can run (:func:`ineligibility`), which ones it should run under
``algorithm="auto"`` (:func:`prefers_winograd`, a cost model of the shape, never a timing),
the kernel transform ``U = G g G^T`` (per depth slice) packed for the kernel's register tile
(:func:`transform_kernel`, computed in float64 once per kernel value and cached by the
packed kernel object: a training step pays it after every update, so it is cheap), the
tile-block size that keeps a thread's scratch in its L2, or for kernels too large to stay
there reuses each streamed kernel over more tiles (:func:`tiles_per_task`), and the call
itself (:func:`run_winograd`).
"""

from fractions import Fraction

import numpy as np

from .. import _kernels
from .._threads import threads_for
from ._direct import choose_one_group_tile

_winograd = _kernels.load("_winograd")

# Interpolation points of F(4, 3) (and infinity): B^T and A^T hold multiples of 1/8 only, and
# on random inputs the float32 error is two to three times the direct kernel's (0, +-1, +-2:
# about five times; KERNELS.md §11 has the published figures).
POINTS = (Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2), Fraction(-2))
OUT_TILE = 4  # outputs per tile side
IN_TILE = 6   # inputs per tile side

# Scratch per thread the tile blocks aim for (transformed inputs + products, both read while
# hot): a third to a half of this machine class's 1 MiB L2, the rest for the kernel blocks.
_SCRATCH_TARGET_BYTES = 384 * 1024
# Tiles per task at most: with a few blocks per image, 2-3 threads share the work evenly.
_MAX_TILES_PER_TASK = 48

# A transformed kernel (per group) larger than this does not stay in L2 between tasks: each
# task streams it from L3 or memory once, and with blocks of a few tiles that stream, not the
# multiply-adds, sets the speed (512 -> 1024 channels: 75 MB per 6 tiles). Such kernels take
# larger blocks: scratch up to the wide target (only one point's slice of it, a few tiles'
# rows beside a KB-column block of U, has to stay in L2), as long as every thread still
# gets a few tasks. Measured on conv2d_large (128 -> 128, 2.4 MB): 1.25-1.3x faster.
_WIDE_KERNEL_BYTES = 1024 * 1024
_WIDE_SCRATCH_TARGET_BYTES = 4 * 1024 * 1024
_WIDE_MAX_TILES_PER_TASK = 96
_WIDE_MIN_TASKS_PER_THREAD = 3
# "auto" leaves a convolution to the direct kernel when its call has too few tiles to
# amortise streaming the transformed kernel: more than this many bytes of it per tile (a
# batch-1 16x16 image's 16 tiles against 75 MB for 512 -> 1024 channels: direct 9.4-11.4 ms,
# Winograd 12-20 ms; at batch 8, 128 tiles, Winograd is 1.4x faster).
_MAX_KERNEL_BYTES_PER_TILE = 1024 * 1024

# The cost model of ``algorithm="auto"`` (see prefers_winograd).
_MIN_CHANNELS = 16         # input and output channels per group, both
_MIN_OUT_SIDE = 8          # output height and width, both (else tiles are mostly padding)

# float64 values per input-channel chunk of transform_kernel's products (4 MiB each)
_TRANSFORM_CHUNK_VALUES = 1 << 19

# 3-D work split (see slices_per_task): tasks per thread aimed for, and the fewest output
# slices per task (each task transforms KD - 1 input slices beyond its outputs' count).
_TASKS_PER_THREAD = 8
_MIN_SLICES_PER_TASK = 4


def _polymul(a, b):
    out = [Fraction(0)] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out


def transform_matrices(points=POINTS, m: int = OUT_TILE, r: int = 3) -> tuple:
    """``(B^T, G, A^T)`` of F(m, r) for the finite ``points`` and infinity, as exact
    ``Fraction`` nested lists (the Toom-Cook construction, Lavin and Gray 2016):
    ``y = A^T [(G g) * (B^T d)]`` is the correlation of ``d`` (``m + r - 1`` values) with
    ``g`` (``r`` values)."""
    pts = list(points)
    n = m + r - 1
    if len(pts) != n - 1 or len(set(pts)) != len(pts):
        raise ValueError(f"F({m}, {r}) needs {n - 1} distinct finite points, got {pts}")
    at = [[p ** i for p in pts] + [Fraction(int(i == m - 1))] for i in range(m)]
    g = []
    bt = []
    for i, p in enumerate(pts):
        poly, norm = [Fraction(1)], Fraction(1)
        for j, q in enumerate(pts):
            if j != i:
                poly = _polymul(poly, [-q, Fraction(1)])
                norm *= p - q
        g.append([p ** j / norm for j in range(r)])
        bt.append(poly + [Fraction(0)] * (n - len(poly)))
    g.append([Fraction(0)] * (r - 1) + [Fraction(1)])
    full = [Fraction(1)]
    for q in pts:
        full = _polymul(full, [-q, Fraction(1)])
    bt.append(full)
    return bt, g, at


_BT, _G, _AT = transform_matrices()
G64 = np.array(_G, dtype=np.float64)


def check_kernel_matrices(module=_winograd) -> None:
    """Raise ``ImportError`` unless ``module``'s compiled B^T and A^T are this module's."""
    bt, at = module.transform_matrices()
    if not (np.array_equal(bt, np.array(_BT, dtype=np.float64))
            and np.array_equal(at, np.array(_AT, dtype=np.float64))):
        raise ImportError(f"{module.__name__}: its Winograd transforms differ from "
                          "ops/_winograd.py's points; rebuild the kernels")


check_kernel_matrices()


def ineligibility(rank: int, kernel_spatial, strides, dilation, padding: str):
    """Why the Winograd kernel cannot run this convolution (a sentence), or ``None``.

    ``kernel_spatial``, ``strides`` and ``dilation`` are the op's per-axis tuples (length
    ``rank``), ``padding`` the standardised padding string. It runs 2-D 3x3 and 3-D 3x3x3
    convolutions.
    """
    if rank not in (2, 3):
        return f"it runs 2-D and 3-D convolutions only (this one has {rank} spatial axis)"
    want = (3,) * rank
    ones = (1,) * rank
    if tuple(kernel_spatial) != want:
        return (f"it needs a {'x'.join('3' * rank)} kernel "
                f"(kernel_size={tuple(kernel_spatial)})")
    if tuple(strides) != ones:
        return f"it needs strides 1 (strides={tuple(strides)})"
    if tuple(dilation) != ones:
        return f"it needs dilation_rate 1 (dilation_rate={tuple(dilation)})"
    if padding not in ("valid", "same"):
        return f"it needs padding 'valid' or 'same' (padding={padding!r})"
    return None


def prefers_winograd(out_spatial, cg: int, fg: int, *, images: int | None = None,
                     itemsize: int = 4, kernel_depth: int = 1) -> bool:
    """The ``"auto"`` choice for an eligible convolution, from its shape alone.

    ``out_spatial``: the output's spatial sizes (``(H, W)`` or ``(D, H, W)``; only the last
    two matter: the tiles are 2-D). Per tile and channel pair Winograd does 36 multiply-adds
    per depth tap where direct does 144; the transforms cost O(Cg + Fg) per tile and stream
    through memory, so they pay only when both channel counts per group are large enough to
    amortise them, and tiles are mostly real outputs (an output side under 8 wastes a quarter
    or more of each tile on padding). In 3-D each transformed input slice feeds three depth
    taps, so the same thresholds hold with more to spare. With ``images`` (the batch; in 3-D
    times the output depth) the call's tiles must also amortise the transformed kernel
    (``kernel_depth`` taps deep, ``itemsize`` bytes per value), which every task streams:
    at most ``_MAX_KERNEL_BYTES_PER_TILE`` of it per tile.
    """
    ho, wo = tuple(out_spatial)[-2:]
    if not (cg >= _MIN_CHANNELS and fg >= _MIN_CHANNELS
            and ho >= _MIN_OUT_SIDE and wo >= _MIN_OUT_SIDE):
        return False
    if images is None:
        return True
    tiles = images * -(-ho // OUT_TILE) * -(-wo // OUT_TILE)
    return 36 * kernel_depth * cg * fg * itemsize <= _MAX_KERNEL_BYTES_PER_TILE * tiles


def is_wide(kernel_bytes: int) -> bool:
    """Whether a transformed kernel of ``kernel_bytes`` per group is too large to stay in L2
    from one task to the next (see ``_WIDE_KERNEL_BYTES``)."""
    return kernel_bytes > _WIDE_KERNEL_BYTES


class WinogradKernel:
    """A kernel transformed for the Winograd kernel: ``(G, 36, nblk, KD, Cg, KB)`` weights
    blocked for the register tile ``tile`` (``WB`` x ``KB``); ``kd`` 1 (2-D) or 3 (3-D)."""

    __slots__ = ("u", "groups", "cg", "fg", "nblk", "kb", "wb", "tile", "kd", "module")

    def __init__(self, u, groups, cg, fg, nblk, kb, module, *, wb, tile, kd):
        self.u, self.groups, self.cg, self.fg = u, groups, cg, fg
        self.nblk, self.kb, self.module = nblk, kb, module
        self.wb, self.tile, self.kd = wb, tile, kd


def transform_kernel(kernel: np.ndarray, groups: int, module=None) -> WinogradKernel:
    """``U[kd, xi] = G g[kd] G^T`` of a ``(3, 3, Cg, F)`` or ``(3, 3, 3, Cg, F)`` kernel
    (compute dtype), computed in float64 and rounded once to the kernel's dtype, blocked by
    ``KB`` output channels of the register tile padding fewer of them (the direct kernel's
    rule, ``_direct.choose_one_group_tile``)."""
    module = _winograd if module is None else module
    dtype = kernel.dtype
    kd = 1 if kernel.ndim == 4 else 3
    *_, cg, f = kernel.shape
    fg = f // groups
    tile, wb, kb = choose_one_group_tile(fg, dtype, module)
    nblk = -(-fg // kb)
    k6 = kernel.reshape(kd, 3, 3, cg, groups, fg)
    blocked = np.empty((groups, 36, nblk, kd, cg, kb), dtype=dtype)
    # Input channels in chunks, written straight into the blocked layout, so the float64
    # intermediates stay within a few MiB: a training step re-transforms its kernels after
    # every update, and whole-kernel temporaries (150 MB for 512 x 1024) and an extra
    # transposing pass cost more than the convolution itself on wide layers.
    step = max(1, _TRANSFORM_CHUNK_VALUES // (kd * 36 * groups * nblk * kb))
    for c0 in range(0, cg, step):
        c1 = min(cg, c0 + step)
        g = np.zeros((kd, 3, 3, c1 - c0, groups, nblk * kb))
        g[..., :fg] = k6[:, :, :, c0:c1]
        rows = np.matmul(G64, g.reshape(kd, 3, 3, -1))         # G along kw: (KD, 3, 6, M)
        u = np.matmul(G64, rows.reshape(kd, 3, -1))            # G along kh: (KD, 6, 6 * M)
        u = u.reshape(kd, 36, c1 - c0, groups, nblk, kb)
        blocked[:, :, :, :, c0:c1] = u.transpose(3, 1, 4, 0, 2, 5)
    return WinogradKernel(blocked.reshape(-1), groups, cg, fg, nblk,
                          kb, module, wb=wb, tile=tile, kd=kd)


def tiles_per_task(wk: WinogradKernel, n_tiles: int, itemsize: int, *,
                   other_tasks: int = 1, n_threads: int = 1) -> int:
    """Tiles per task: as many as fit the scratch target, a multiple of the register tile's
    ``WB`` rows (at least one ``WB``: fewer leave GEMM rows idle, which costs more than
    overflowing the target for very wide layers), at most ``_MAX_TILES_PER_TASK`` and never
    more than the image has. A wide kernel (:func:`is_wide`) takes the wide target and cap
    instead, but leaves ``_WIDE_MIN_TASKS_PER_THREAD`` tasks for each of ``n_threads``
    when the ``other_tasks`` (images x groups, 3-D: x output slices) times the blocks of
    ``n_tiles`` allow."""
    per_tile = 36 * itemsize * (wk.kd * wk.cg + wk.nblk * wk.kb)
    if is_wide(wk.u.nbytes // wk.groups):
        block = min(_WIDE_SCRATCH_TARGET_BYTES // per_tile, _WIDE_MAX_TILES_PER_TASK,
                    -(-other_tasks * n_tiles // (_WIDE_MIN_TASKS_PER_THREAD * n_threads)))
    else:
        block = min(_SCRATCH_TARGET_BYTES // per_tile, _MAX_TILES_PER_TASK)
    block = max(wk.wb, block - block % wk.wb)
    return max(1, min(block, n_tiles))


def slices_per_task(wk: WinogradKernel, n: int, out_depth: int, tile_blocks: int,
                    n_threads: int) -> int:
    """Output slices per task of a 3-D convolution: enough tasks for ``_TASKS_PER_THREAD``
    per thread when the image allows, but at least ``_MIN_SLICES_PER_TASK`` slices (a task
    transforms ``KD - 1`` input slices more than it has outputs: at 4 slices that is a third
    more input transforms, which cost far less than the GEMMs). 2-D: 1."""
    if wk.kd == 1:
        return 1
    others = n * tile_blocks * wk.groups
    chunks = -(-_TASKS_PER_THREAD * n_threads // others)
    return max(min(_MIN_SLICES_PER_TASK, out_depth), -(-out_depth // chunks), 1)


def run_winograd(x5, wk: WinogradKernel, bias_packed, out, *, out_spatial, pad, out_strides,
                 out_channel_stride, relu: int, n_threads=None) -> None:
    """Run the kernel on the ``(N, D, H, W, C)`` input ``x5`` (``D = 1`` for a 2-D
    convolution) into ``out`` (any C-contiguous array addressed by ``out_strides = (s_n,
    s_d, s_h, s_w)`` and ``out_channel_stride``); ``out_spatial`` and ``pad`` (padding
    before) are ``(D, H, W)`` triples."""
    n, d, h, w, c = x5.shape
    do, ho, wo = out_spatial
    pd = pad[0] if wk.kd == 3 else 0
    tiles = -(-ho // OUT_TILE) * -(-wo // OUT_TILE)
    # multiply-adds actually done: 36 per tile, channel pair and depth tap, the thread
    # policy's measure
    work = n * do * tiles * 36 * wk.kd * wk.cg * wk.fg * wk.groups
    n_threads = threads_for(work, n_threads)
    depth_tasks = -(-do // _MIN_SLICES_PER_TASK) if wk.kd == 3 else 1
    block = tiles_per_task(wk, tiles, x5.dtype.itemsize,
                           other_tasks=n * depth_tasks * wk.groups, n_threads=n_threads)
    dchunk = slices_per_task(wk, n, do, -(-tiles // block), n_threads)
    fn = wk.module.winograd_d if x5.dtype == np.float64 else wk.module.winograd_f
    fn(x5.reshape(-1), wk.u, bias_packed, out.reshape(-1),
       (n, d, h, w, c, do, ho, wo, wk.kd, pd, pad[1], pad[2], wk.groups, wk.cg, wk.fg,
        wk.nblk, relu),
       (0, *out_strides, out_channel_stride), block, dchunk, wk.tile, n_threads)


def winograd_bias(bias, wk: WinogradKernel, dtype) -> np.ndarray:
    """Bias (or zeros) as ``(G, nblk * KB)``, zero-padded like the transformed kernel."""
    out = np.zeros((wk.groups, wk.nblk * wk.kb), dtype=dtype)
    if bias is not None:
        out[:, :wk.fg] = np.asarray(bias, dtype=dtype).reshape(wk.groups, wk.fg)
    return out.reshape(-1)


def scratch_bytes(wk: WinogradKernel, block: int, itemsize: int) -> int:
    """Bytes of scratch each thread holds for blocks of ``block`` tiles."""
    return wk.module.scratch_bytes(block, wk.cg, wk.nblk * wk.kb, wk.kd,
                                   "d" if itemsize == 8 else "f")
