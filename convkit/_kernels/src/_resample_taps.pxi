# Included by the resampling kernel modules (_resample, _resample_grad) after
# _resample_rows.pxi: the separable tap-table sum over rows that the interpolating upsampling
# (forward) and its adjoint (a gather over the transposed tables) share. The contract of the
# tables is in _resample.pyx's docstring; ops.resample.tap_table builds them.

import numpy as np

from cython.parallel cimport parallel, prange, threadid

from ._indexing cimport RowTask, row_task

ctypedef fused floating:
    float
    double

cdef enum:
    # channel block of the interpolation's W pass: one zmm of float32, two of float64
    CB = 16


cdef inline void _vertical(floating *tmp, const floating *r0, floating w0,
                           const floating *r1, floating w1, Py_ssize_t span,
                           bint first) noexcept nogil:
    """tmp (=|+=) w0 * r0 + w1 * r1 (``r1`` NULL: one row only)."""
    cdef Py_ssize_t i
    if r1 == NULL:
        if first:
            for i in range(span):
                tmp[i] = w0 * r0[i]
        else:
            for i in range(span):
                tmp[i] += w0 * r0[i]
    elif first:
        for i in range(span):
            tmp[i] = w0 * r0[i] + w1 * r1[i]
    else:
        for i in range(span):
            tmp[i] += w0 * r0[i] + w1 * r1[i]


cdef inline void _taps_block(const floating *s, const floating *wk, Py_ssize_t tw,
                             Py_ssize_t stride, floating *o) noexcept nogil:
    """o[0:CB] = sum_e wk[e] * s[e * stride : e * stride + CB], accumulated in registers."""
    cdef floating acc[CB]
    cdef Py_ssize_t i, e
    cdef floating w = wk[0]
    for i in range(CB):
        acc[i] = w * s[i]
    for e in range(1, tw):
        w = wk[e]
        for i in range(CB):
            acc[i] += w * s[e * stride + i]
    for i in range(CB):
        o[i] = acc[i]


cdef inline void _taps_per_pixel(const floating *vrow, Py_ssize_t col0, floating *dst_row,
                                 Py_ssize_t chans, Py_ssize_t k0, Py_ssize_t k1,
                                 const Py_ssize_t *start_w, Py_ssize_t tw,
                                 const floating *ww) noexcept nogil:
    """W taps for output pixels [k0, k1), one pixel at a time, channels in register blocks."""
    cdef Py_ssize_t k, c, e
    cdef const floating *s
    cdef const floating *wk
    cdef floating *o
    cdef floating acc
    for k in range(k0, k1):
        s = vrow + (start_w[k] - col0) * chans
        wk = ww + k * tw
        o = dst_row + k * chans
        c = 0
        while c + CB <= chans:
            _taps_block(s + c, wk, tw, chans, o + c)
            c += CB
        while c < chans:
            acc = wk[0] * s[c]
            for e in range(1, tw):
                acc += wk[e] * s[e * chans + c]
            o[c] = acc
            c += 1


cdef inline void _taps_by_phase(const floating *vrow, Py_ssize_t col0, floating *dst_row,
                                floating *tmp, Py_ssize_t chans, Py_ssize_t qa, Py_ssize_t qb,
                                Py_ssize_t fw, const Py_ssize_t *start_w, Py_ssize_t tw,
                                const floating *ww) noexcept nogil:
    """W taps for output pixels [fw*qa, fw*qb) where every phase has fixed taps.

    Output pixel ``fw*q + p`` reads input pixels ``q + off_p + e`` with weights that depend on
    ``p`` only, so each phase is a weighted sum of shifted contiguous runs, vectorised over
    ``(q, channel)`` into ``tmp[p]`` -- the fast path when channels are few (channels_first
    data) -- and the phases are then interleaved into the output.
    """
    cdef Py_ssize_t p, e, q, c, kp
    cdef Py_ssize_t nq = qb - qa
    cdef Py_ssize_t n = nq * chans
    cdef const floating *s
    cdef const floating *wk
    cdef const floating *t0
    cdef const floating *t1
    cdef floating *o = dst_row + fw * qa * chans
    for p in range(fw):
        kp = fw * qa + p
        wk = ww + kp * tw
        s = vrow + (start_w[kp] - col0) * chans
        e = 0
        while e < tw:
            if e + 1 < tw:
                _vertical(tmp + p * n, s + e * chans, wk[e], s + (e + 1) * chans, wk[e + 1],
                          n, e == 0)
                e += 2
            else:
                _vertical(tmp + p * n, s + e * chans, wk[e], NULL, 0, n, e == 0)
                e += 1
    if chans == 1 and fw == 2:
        t0 = tmp
        t1 = tmp + n
        for q in range(nq):
            o[2 * q] = t0[q]
            o[2 * q + 1] = t1[q]
    elif chans == 1:
        for q in range(nq):
            for p in range(fw):
                o[q * fw + p] = tmp[p * n + q]
    else:
        for q in range(nq):
            for p in range(fw):
                for c in range(chans):
                    o[(q * fw + p) * chans + c] = tmp[p * n + q * chans + c]


cdef void _resample_row(const floating *src_b, floating *dst_row, floating *tmp,
                        floating *tmp2, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t chans,
                        Py_ssize_t sd, Py_ssize_t td, const floating *wd,
                        Py_ssize_t sh, Py_ssize_t th, const floating *wh,
                        Py_ssize_t k0, Py_ssize_t k1, const Py_ssize_t *start_w,
                        Py_ssize_t tw, const floating *ww, Py_ssize_t fw,
                        Py_ssize_t q_lo, Py_ssize_t q_hi) noexcept nogil:
    """Output pixels [k0, k1) of one output row; ``src_b`` is the batch item's first pixel.

    ``k0``/``k1`` are multiples of ``fw``, so whether a pixel takes the by-phase path depends
    only on ``[q_lo, q_hi)``, never on how rows were cut into tasks (bit-identical results).
    """
    cdef Py_ssize_t col0 = start_w[k0]
    cdef Py_ssize_t span = (start_w[k1 - 1] + tw - col0) * chans
    cdef Py_ssize_t a, e, qa, qb
    cdef bint first = True
    cdef const floating *r0
    cdef const floating *vrow
    # 1. D and H taps -> one row of the needed input columns (two rows per pass)
    if td == 1 and th == 1 and wd[0] == 1 and wh[0] == 1:
        vrow = src_b + ((sd * h_in + sh) * w_in + col0) * chans   # identity: no copy
    else:
        for a in range(td):
            e = 0
            while e < th:
                r0 = src_b + (((sd + a) * h_in + sh + e) * w_in + col0) * chans
                if e + 1 < th:
                    _vertical(tmp, r0, wd[a] * wh[e], r0 + w_in * chans, wd[a] * wh[e + 1],
                              span, first)
                    e += 2
                else:
                    _vertical(tmp, r0, wd[a] * wh[e], NULL, 0, span, first)
                    e += 1
                first = False
        vrow = tmp
    # 2. W taps: by phase when channels are few, else pixel by pixel
    qa = max(q_lo, k0 // fw)
    qb = min(q_hi, k1 // fw)
    if chans < CB and qb > qa:
        _taps_per_pixel(vrow, col0, dst_row, chans, k0, fw * qa, start_w, tw, ww)
        _taps_by_phase(vrow, col0, dst_row, tmp2, chans, qa, qb, fw, start_w, tw, ww)
        _taps_per_pixel(vrow, col0, dst_row, chans, fw * qb, k1, start_w, tw, ww)
    else:
        _taps_per_pixel(vrow, col0, dst_row, chans, k0, k1, start_w, tw, ww)



def _check_taps(const Py_ssize_t[::1] start, Py_ssize_t n_out, Py_ssize_t taps,
                Py_ssize_t n_in, str axis, Py_ssize_t factor=1, Py_ssize_t q_lo=0,
                Py_ssize_t q_hi=0):
    """Check one axis's tap table against the contract (module docstring) before any read.

    ``ops.resample.tap_table`` builds the tables; this only refuses one that would read
    outside the input: a start table of the wrong length or out of range or decreasing, or a
    periodic range ``[q_lo, q_hi)`` (W only; empty for D and H) whose starts are not periodic.
    """
    cdef Py_ssize_t i, q, p
    if start.shape[0] != n_out or taps < 1:
        raise ValueError(f"resample: tap table for axis {axis} does not match the output")
    for i in range(n_out):
        if start[i] < 0 or start[i] + taps > n_in or (i > 0 and start[i] < start[i - 1]):
            raise ValueError(f"resample: tap table for axis {axis} reads outside the input")
    if q_hi <= q_lo:
        return
    if factor < 1 or q_lo < 0 or q_hi > n_in or factor * n_in != n_out:
        raise ValueError(f"resample: bad phase range for axis {axis}")
    for q in range(q_lo, q_hi):
        for p in range(factor):
            if start[factor * q + p] - q != start[factor * q_lo + p] - q_lo:
                raise ValueError(f"resample: {axis} taps are not periodic over the phase range")



cdef _check_tables(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
                   const Py_ssize_t[::1] start_d, const floating[:, ::1] weight_d,
                   const Py_ssize_t[::1] start_h, const floating[:, ::1] weight_h,
                   const Py_ssize_t[::1] start_w, const floating[:, ::1] weight_w):
    """The checks ``resample`` and ``resample_gather`` share: shapes, and D/H taps in range."""
    if dst.shape[0] != src.shape[0] or dst.shape[4] != src.shape[4]:
        raise ValueError("resample: src and dst differ in batch or channels")
    if (weight_d.shape[0] != dst.shape[1] or weight_h.shape[0] != dst.shape[2]
            or weight_w.shape[0] != dst.shape[3]):
        raise ValueError("resample: weight tables do not match the output")
    _check_taps(start_d, dst.shape[1], weight_d.shape[1], src.shape[1], "D")
    _check_taps(start_h, dst.shape[2], weight_h.shape[1], src.shape[2], "H")


cdef _resample_rows(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
                    const Py_ssize_t[::1] start_d, const floating[:, ::1] weight_d,
                    const Py_ssize_t[::1] start_h, const floating[:, ::1] weight_h,
                    const Py_ssize_t[::1] start_w, const floating[:, ::1] weight_w,
                    Py_ssize_t factor_w, Py_ssize_t groups_w, Py_ssize_t q_lo,
                    Py_ssize_t q_hi, int n_threads):
    """The parallel loop over output rows, each cut along W into whole groups of ``factor_w``
    output pixels (``groups_w`` groups per row); tables already checked."""
    cdef Py_ssize_t n = src.shape[0], d_in = src.shape[1], h_in = src.shape[2]
    cdef Py_ssize_t w_in = src.shape[3], chans = src.shape[4]
    cdef Py_ssize_t d_out = dst.shape[1], h_out = dst.shape[2], w_out = dst.shape[3]
    cdef Py_ssize_t td = weight_d.shape[1], th = weight_h.shape[1], tw = weight_w.shape[1]
    cdef Py_ssize_t n_rows = n * d_out * h_out
    if n_rows * w_out * chans == 0:
        return
    cdef int threads = _team(n_rows, groups_w, n_threads)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, groups_w, threads)
    dtype = np.float32 if floating is float else np.float64
    cdef Py_ssize_t row_len = w_in * chans
    cdef Py_ssize_t scratch_len = (1 + factor_w) * row_len
    cdef floating[:, ::1] scratch = np.empty((threads, scratch_len), dtype=dtype)
    cdef const floating *base = &src[0, 0, 0, 0, 0]
    cdef floating *out = &dst[0, 0, 0, 0, 0]
    cdef floating *tmp0 = &scratch[0, 0]
    cdef const Py_ssize_t *p_sd = &start_d[0]
    cdef const Py_ssize_t *p_sh = &start_h[0]
    cdef const Py_ssize_t *p_sw = &start_w[0]
    cdef const floating *p_wd = &weight_d[0, 0]
    cdef const floating *p_wh = &weight_h[0, 0]
    cdef const floating *p_ww = &weight_w[0, 0]
    cdef Py_ssize_t task
    cdef RowTask t
    cdef floating *tmp
    with nogil, parallel(num_threads=threads):
        for task in prange(n_rows * chunks, schedule="static"):
            t = row_task(task, chunks, d_out, h_out)
            tmp = tmp0 + threadid() * scratch_len
            _resample_row(base + t.n * d_in * h_in * w_in * chans,
                          out + t.row * w_out * chans, tmp, tmp + row_len,
                          h_in, w_in, chans,
                          p_sd[t.d], td, p_wd + t.d * td,
                          p_sh[t.h], th, p_wh + t.h * th,
                          factor_w * (t.chunk * groups_w // chunks),
                          factor_w * ((t.chunk + 1) * groups_w // chunks),
                          p_sw, tw, p_ww, factor_w, q_lo, q_hi)
