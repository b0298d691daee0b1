# cython: language_level=3
"""Overlap-add of per-tap columns: the second half of a transposed conv done as a GEMM.

A transposed conv with few filters wastes most of each register tile of the phase kernels
(3 filters in a 32-wide block). ``ops/conv_transpose.py`` then computes every product
``x[i] @ K[t]`` at once, as a 1x1 conv with ``taps * F`` filters (the "columns"), and this
kernel adds the columns into the output: ``full[i*s + t*d] += cols[i, t]``, read at
``y[j] = full[j + crop]``, plus bias and the fused relu.

Layouts: ``cols`` is ``(N, D, H, W, KD, KH, KW, F)`` C-contiguous; output pixel ``(n, od,
oh, ow)`` channel ``f`` is at ``n*o_sn + od*o_sd + oh*o_sh + ow*o_sw + f*o_sc`` (channels
last or first). One task per output row ``(n, od, oh)``: it gathers, for every output
element, its taps in ascending ``(kd, kh, kw)`` order into a zeroed row buffer, so each sum
has one fixed order whatever the thread count (bit-identical for 1, 2, 3 threads). Only
products of real inputs are added, as the definition says, so an inf or NaN weight reaches
exactly the outputs its products reach.
"""

from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from ._indexing cimport clamp_threads

ctypedef fused real_t:
    float
    double


cdef enum:
    # geometry vector layout (ops/conv_transpose.py ``_overlap_add``)
    G_N = 0
    G_D = 1
    G_H = 2
    G_W = 3
    G_KD = 4
    G_KH = 5
    G_KW = 6
    G_F = 7
    G_SD = 8
    G_SH = 9
    G_SW = 10
    G_DD = 11
    G_DH = 12
    G_DW = 13
    G_CD = 14
    G_CH = 15
    G_CW = 16
    G_DO = 17
    G_HO = 18
    G_WO = 19
    G_OSN = 20
    G_OSD = 21
    G_OSH = 22
    G_OSW = 23
    G_OSC = 24
    G_LEN = 25

GEOMETRY_FIELDS = ("N", "D", "H", "W", "KD", "KH", "KW", "F", "sd", "sh", "sw", "dd", "dh",
                   "dw", "cd", "ch", "cw", "Do", "Ho", "Wo", "o_sn", "o_sd", "o_sh", "o_sw",
                   "o_sc")


cdef inline Py_ssize_t _source(Py_ssize_t j, Py_ssize_t crop, Py_ssize_t t, Py_ssize_t s,
                               Py_ssize_t d, Py_ssize_t n) noexcept nogil:
    """Input index whose tap ``t`` lands on output ``j`` along one axis, or -1 if none."""
    cdef Py_ssize_t q = j + crop - t * d
    if q < 0 or q % s != 0 or q // s >= n:
        return -1
    return q // s


cdef inline Py_ssize_t _first_source(Py_ssize_t shift, Py_ssize_t s) noexcept nogil:
    """The smallest input ``q >= 0`` whose output ``q*s - shift`` is ``>= 0``."""
    if shift <= 0:
        return 0
    return (shift + s - 1) // s


cdef void _row(const real_t *cols, const real_t *bias, real_t *out, real_t *acc,
               const Py_ssize_t *g, Py_ssize_t row, int relu) noexcept nogil:
    """Output row ``row`` = ``(n*Do + od)*Ho + oh``: every ``(ow, f)`` of it."""
    cdef Py_ssize_t F = g[G_F], Wo = g[G_WO], KW = g[G_KW]
    cdef Py_ssize_t px = g[G_KD] * g[G_KH] * KW * F   # cols per input pixel
    cdef Py_ssize_t s_h = g[G_W] * px, s_d = g[G_H] * s_h, s_n = g[G_D] * s_d
    cdef Py_ssize_t n, od, oh, kd, kh, kw, idd, ih, ow, f
    cdef Py_ssize_t q
    cdef const real_t *src
    cdef const real_t *tap
    cdef real_t *dst
    cdef real_t *o
    cdef real_t v
    oh = row % g[G_HO]
    od = (row // g[G_HO]) % g[G_DO]
    n = row // (g[G_HO] * g[G_DO])
    memset(acc, 0, Wo * F * sizeof(real_t))
    for kd in range(g[G_KD]):
        idd = _source(od, g[G_CD], kd, g[G_SD], g[G_DD], g[G_D])
        if idd < 0:
            continue
        for kh in range(g[G_KH]):
            ih = _source(oh, g[G_CH], kh, g[G_SH], g[G_DH], g[G_H])
            if ih < 0:
                continue
            # cols[n, idd, ih, 0, kd, kh, 0, 0]: the (kd, kh) taps of one input row
            src = cols + n * s_n + idd * s_d + ih * s_h + (kd * g[G_KH] + kh) * KW * F
            # tap kw reaches outputs ow = q*s - cw + kw*dw from input q: one lattice per
            # tap, walked without a division per pixel; each element still gets its taps in
            # ascending (kd, kh, kw) order
            for kw in range(KW):
                q = _first_source(g[G_CW] - kw * g[G_DW], g[G_SW])
                ow = q * g[G_SW] - g[G_CW] + kw * g[G_DW]
                while ow < Wo and q < g[G_W]:
                    dst = acc + ow * F
                    tap = src + q * px + kw * F
                    for f in range(F):
                        dst[f] = dst[f] + tap[f]
                    ow = ow + g[G_SW]
                    q = q + 1
    o = out + n * g[G_OSN] + od * g[G_OSD] + oh * g[G_OSH]
    for ow in range(Wo):
        for f in range(F):
            v = acc[ow * F + f] + bias[f]
            if relu and v < 0:  # NaN and -0.0 kept, as the conv kernels' relu
                v = 0
            o[ow * g[G_OSW] + f * g[G_OSC]] = v


cdef int _run(const real_t *cols, const real_t *bias, real_t *out, const Py_ssize_t *g,
              int relu, int n_threads) noexcept nogil:
    """Every output row, in one dynamic parallel loop; -1 if a row buffer failed."""
    cdef Py_ssize_t rows = g[G_N] * g[G_DO] * g[G_HO], row
    cdef real_t *acc
    cdef int failed = 0
    cdef int *failed_p = &failed
    n_threads = clamp_threads(n_threads, rows)
    acc = NULL  # each thread allocates its own (private in the parallel block)
    with parallel(num_threads=n_threads):
        acc = <real_t *>malloc((g[G_WO] * g[G_F] + 1) * sizeof(real_t))
        if acc != NULL:
            for row in prange(rows, schedule="dynamic", chunksize=1):
                _row(cols, bias, out, acc, g, row, relu)
        else:
            failed_p[0] = 1  # every thread that fails writes the same value
        free(acc)
    return -1 if failed else 0


def overlap_add(const real_t[::1] cols, const real_t[::1] bias, real_t[::1] out,
                const Py_ssize_t[::1] geometry, int relu, int n_threads):
    """Add the per-tap columns into ``out`` (see the module docstring).

    ``geometry`` holds :data:`GEOMETRY_FIELDS` in order; ``bias`` has ``F`` values (zeros
    for none); ``relu`` is 0 or 1. Sizes are checked against the arrays here.
    """
    if geometry.shape[0] != G_LEN:
        raise ValueError(f"overlap_add: geometry must have {G_LEN} entries")
    cdef const Py_ssize_t *g = &geometry[0]
    cdef Py_ssize_t i, last
    for i in range(G_LEN):
        if g[i] < 1 and i != G_CD and i != G_CH and i != G_CW:  # crops may be any int
            raise ValueError(f"overlap_add: geometry field {GEOMETRY_FIELDS[i]} = {g[i]} "
                             "out of range")
    if relu not in (0, 1):
        raise ValueError("overlap_add: relu must be 0 or 1")
    if cols.shape[0] != g[G_N] * g[G_D] * g[G_H] * g[G_W] * g[G_KD] * g[G_KH] * g[G_KW] * g[G_F]:
        raise ValueError("overlap_add: cols size does not match the geometry")
    if bias.shape[0] != g[G_F]:
        raise ValueError("overlap_add: bias must have F values")
    last = ((g[G_N] - 1) * g[G_OSN] + (g[G_DO] - 1) * g[G_OSD] + (g[G_HO] - 1) * g[G_OSH]
            + (g[G_WO] - 1) * g[G_OSW] + (g[G_F] - 1) * g[G_OSC] + 1)
    if last > out.shape[0]:
        raise ValueError("overlap_add: output buffer too small for the geometry")
    cdef int status
    with nogil:
        status = _run(&cols[0], &bias[0], &out[0], g, relu, n_threads)
    if status != 0:
        raise MemoryError("overlap_add: could not allocate a row buffer")
