# cython: language_level=3
"""Pooling kernels: windowed max/average, their gradients, and global reductions
(docs/design/kernels.md).

Windowed arrays are C-contiguous 5-D ``(N, D, H, W, C)`` channels-last blocks (1-D and 2-D data
arrive with singleton D/H axes; ``ops.pooling`` transposes ``channels_first`` data, since one
channel per pixel leaves the channel loops nothing to vectorise). Windows are never padded:
each window's taps are clipped to the input (``_indexing.tap_range``), which is exactly what
Keras's "same" does -- max pools over ``-inf`` padding, average divides by the real inputs.

Work is split into static tasks over output rows ``(n, d, h)`` (input rows for the gradients),
cut along W when rows are few. Each task owns the values it writes and sums them in a fixed
order, so every thread count gives the same bits. Per pixel, the channels run in C with
``ck_simd.h``'s vector types (the ``ck_pool_*`` functions below): the running max, its argmax
or a sum stays in registers over the window and each result is stored once, so the
gradients need no zeroing pass.

Entry points (all release the GIL once; shapes are checked, values are trusted):

``max_pool(src, dst, argmax, kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)``
    ``dst[n, i, j, k, c]`` = max over the window of output ``(i, j, k)``: rows
    ``i*sd - pd ..`` (``kd`` of them) and so on, clipped to the input. NaN wins (as ``lax.max``).
    ``argmax`` (``int32 (N, Do, Ho, Wo, C)``, or None) receives the flat spatial index
    ``(d*H + h)*W + w`` of the first maximum in window order (d, then h, then w): where the
    gradient of Keras's max pooling on jax goes.
``max_pool_taps(src, dst, taps, kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)``
    ``max_pool`` routed by window offsets (``ck_pool_taps.h``): ``taps`` (``uint8``, the
    output's shape) receives the offset ``(td*kh + th)*kw + tw`` of the first maximum inside
    its window (windows of at most 256 taps); ``dst`` may be None (the backward pass needs
    only the routing).
``avg_pool(src, dst, kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)``
    The window's sum divided by how many real inputs it holds.
``max_pool_grad(dy, argmax, dx, kd, ..., pw, n_threads)``
    ``dx[n, p, c]`` = sum of ``dy[n, o, c]`` over the outputs ``o`` whose window covers ``p``
    and whose ``argmax`` is ``p`` (a gather: each task owns input rows, no atomics).
``max_pool_taps_grad(dy, taps, dx, kd, ..., pw, n_threads)``
    ``max_pool_grad`` for the routing ``max_pool_taps`` recorded: the same bits.
``avg_pool_grad(dy, dx, kd, ..., pw, n_threads)``
    ``dx[n, p, c]`` = sum over the outputs ``o`` covering ``p`` of ``dy[n, o, c] / count(o)``.
``global_pool(src, dst, is_max, n_threads)``
    ``src`` ``(N, P, C)``, ``dst`` ``(N, C)``: the sum (``is_max`` false) or the max (NaN wins)
    over ``P``. ``P`` is cut into pieces chosen from the shape alone; piece results are
    combined in piece order, so the bits do not depend on the thread count.
"""

import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport int32_t, uint8_t

from ._indexing cimport RowTask, clamp_threads, row_task, tap_range

cdef extern from "src/ck_pool.h":
    void ck_pool_max_f(const float *img, float *out, int32_t *arg, Py_ssize_t chans,
                       Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1,
                       Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0,
                       Py_ssize_t w1) noexcept nogil
    void ck_pool_max_d(const double *img, double *out, int32_t *arg, Py_ssize_t chans,
                       Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1,
                       Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0,
                       Py_ssize_t w1) noexcept nogil
    void ck_pool_avg_f(const float *img, float *out, Py_ssize_t chans, Py_ssize_t h_in,
                       Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, Py_ssize_t h0,
                       Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1) noexcept nogil
    void ck_pool_avg_d(const double *img, double *out, Py_ssize_t chans, Py_ssize_t h_in,
                       Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, Py_ssize_t h0,
                       Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1) noexcept nogil
    void ck_pool_gather_f(const float *g, const int32_t *arg, float *q, int32_t flat,
                          Py_ssize_t chans, Py_ssize_t h_out, Py_ssize_t w_out,
                          Py_ssize_t od0, Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1,
                          Py_ssize_t ow0, Py_ssize_t ow1) noexcept nogil
    void ck_pool_gather_d(const double *g, const int32_t *arg, double *q, int32_t flat,
                          Py_ssize_t chans, Py_ssize_t h_out, Py_ssize_t w_out,
                          Py_ssize_t od0, Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1,
                          Py_ssize_t ow0, Py_ssize_t ow1) noexcept nogil

cdef extern from "src/ck_pool_taps.h":
    ctypedef struct ck_pool_window:
        Py_ssize_t d0, d1, h0, h1, w0, w1, bd, bh, bw, kh, kw
    ctypedef struct ck_pool_cover:
        Py_ssize_t d, h, w, od0, od1, oh0, oh1, ow0, ow1, sd, sh, sw, pd, ph, pw, kh, kw
    void ck_pool_maxt_f(const float *img, float *out, uint8_t *tap, Py_ssize_t chans,
                        Py_ssize_t h_in, Py_ssize_t w_in, const ck_pool_window *wn) noexcept nogil
    void ck_pool_maxt_d(const double *img, double *out, uint8_t *tap, Py_ssize_t chans,
                        Py_ssize_t h_in, Py_ssize_t w_in,
                        const ck_pool_window *wn) noexcept nogil
    void ck_pool_gathert_f(const float *g, const uint8_t *tap, float *q, Py_ssize_t chans,
                           Py_ssize_t h_out, Py_ssize_t w_out,
                           const ck_pool_cover *cv) noexcept nogil
    void ck_pool_gathert_d(const double *g, const uint8_t *tap, double *q, Py_ssize_t chans,
                           Py_ssize_t h_out, Py_ssize_t w_out,
                           const ck_pool_cover *cv) noexcept nogil


ctypedef fused floating:
    float
    double

cdef enum:
    # when rows are scarce (1-D data, batch 1), rows are cut along W into this many tasks
    # per thread at least, so that static scheduling stays balanced
    TASKS_PER_THREAD = 4
    # global pooling: a piece of the pooled axis holds at least this many values (P * C per
    # image), so a piece is worth a task; pieces per image at most MAX_PIECES
    PIECE_VALUES = 1 << 15
    MAX_PIECES = 64


cdef Py_ssize_t _row_chunks(Py_ssize_t n_rows, Py_ssize_t width, int n_threads) noexcept nogil:
    """How many W-pieces to cut each row into so every thread gets several tasks."""
    cdef Py_ssize_t wanted = <Py_ssize_t>n_threads * TASKS_PER_THREAD
    if n_threads <= 1 or n_rows >= wanted or width <= 1:
        return 1
    return min(width, (wanted + n_rows - 1) // n_rows)


cdef inline void _cover_range(Py_ssize_t i, Py_ssize_t k, Py_ssize_t s, Py_ssize_t p,
                              Py_ssize_t n_out, Py_ssize_t *o0, Py_ssize_t *o1) noexcept nogil:
    """Outputs ``o`` in ``[o0, o1)`` whose window (``o*s - p`` .. ``+ k - 1``) covers input
    ``i``: ``o*s <= i + p <= o*s + k - 1``. Empty comes back as ``[0, 0)``."""
    cdef Py_ssize_t top = i + p, lo, hi
    if top < 0:
        o0[0] = 0
        o1[0] = 0
        return
    hi = top // s + 1                       # o <= (i + p) / s
    lo = 0 if top - k + 1 <= 0 else (top - k + 1 + s - 1) // s
    if hi > n_out:
        hi = n_out
    if lo >= hi:
        lo = 0
        hi = 0
    o0[0] = lo
    o1[0] = hi


cdef inline bint _takes(floating v, floating m) noexcept nogil:
    """Whether a later tap ``v`` replaces the running max ``m``: strictly larger (the first
    maximum stays), or NaN where ``m`` is not NaN yet (NaN propagates)."""
    return v > m or (v != v and m == m)


cdef inline void _max_pixel(const floating *img, floating *out, int32_t *arg,
                            Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t chans, Py_ssize_t d0,
                            Py_ssize_t d1, Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0,
                            Py_ssize_t w1) noexcept nogil:
    """One output pixel: max over input pixels [d0, d1) x [h0, h1) x [w0, w1) (non-empty)."""
    if floating is float:
        ck_pool_max_f(img, out, arg, chans, h_in, w_in, d0, d1, h0, h1, w0, w1)
    else:
        ck_pool_max_d(img, out, arg, chans, h_in, w_in, d0, d1, h0, h1, w0, w1)


cdef inline void _avg_pixel(const floating *img, floating *out, Py_ssize_t h_in,
                            Py_ssize_t w_in, Py_ssize_t chans, Py_ssize_t d0, Py_ssize_t d1,
                            Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0,
                            Py_ssize_t w1) noexcept nogil:
    """One output pixel: mean over input pixels [d0, d1) x [h0, h1) x [w0, w1) (non-empty);
    every channel sums its taps in the same (d, h, w) order, then divides by their count."""
    if floating is float:
        ck_pool_avg_f(img, out, chans, h_in, w_in, d0, d1, h0, h1, w0, w1)
    else:
        ck_pool_avg_d(img, out, chans, h_in, w_in, d0, d1, h0, h1, w0, w1)


cdef tuple _shape5(object array):
    """The shape of a 5-D memoryview, as a tuple (for the argument checks)."""
    return tuple(array.shape)[:5]


cdef void _check_windows(Py_ssize_t n_in, Py_ssize_t n_out, Py_ssize_t k, Py_ssize_t s,
                         Py_ssize_t p, str axis) except *:
    """Refuse a geometry whose windows could be empty or reach past the padding Keras uses."""
    if k < 1 or s < 1 or p < 0 or p >= k:
        raise ValueError(f"pool: bad window along {axis}: size {k}, stride {s}, pad {p}")
    if n_out < 0 or (n_out > 0 and ((n_out - 1) * s - p >= n_in or n_in < 1)):
        raise ValueError(f"pool: output length {n_out} along {axis} does not fit input {n_in}")


cdef void _check_geometry(tuple src_shape, tuple dst_shape, Py_ssize_t kd, Py_ssize_t kh,
                          Py_ssize_t kw, Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw,
                          Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw) except *:
    if src_shape[0] != dst_shape[0] or src_shape[4] != dst_shape[4]:
        raise ValueError("pool: input and output differ in batch or channels")
    _check_windows(src_shape[1], dst_shape[1], kd, sd, pd, "D")
    _check_windows(src_shape[2], dst_shape[2], kh, sh, ph, "H")
    _check_windows(src_shape[3], dst_shape[3], kw, sw, pw, "W")
    if <Py_ssize_t>src_shape[1] * src_shape[2] * src_shape[3] > 2147483647:
        raise ValueError("pool: more than 2**31 - 1 pixels per image")


cdef inline ck_pool_window _window(Py_ssize_t bd, Py_ssize_t bh, Py_ssize_t bw, Py_ssize_t d0,
                                   Py_ssize_t d1, Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0,
                                   Py_ssize_t w1, Py_ssize_t kh,
                                   Py_ssize_t kw) noexcept nogil:
    """The window whose tap (0, 0, 0) sits at input ``(bd, bh, bw)``, its taps ``[d0, d1)``
    etc. counted from there (``tap_range``'s answer)."""
    cdef ck_pool_window wn
    wn.bd = bd
    wn.bh = bh
    wn.bw = bw
    wn.d0 = bd + d0
    wn.d1 = bd + d1
    wn.h0 = bh + h0
    wn.h1 = bh + h1
    wn.w0 = bw + w0
    wn.w1 = bw + w1
    wn.kh = kh
    wn.kw = kw
    return wn


cdef void _max_windows(const floating *base, floating *out, int32_t *arg0, uint8_t *tap0,
                      Py_ssize_t n_img, Py_ssize_t d_in, Py_ssize_t h_in, Py_ssize_t w_in,
                      Py_ssize_t chans, Py_ssize_t d_out, Py_ssize_t h_out, Py_ssize_t w_out,
                      Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sd,
                      Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph,
                      Py_ssize_t pw, int n_threads) noexcept nogil:
    """Both max forwards' loop over output pixels: the maxima into ``out`` (may be NULL with
    ``tap0``) and the routing, as flat indices into ``arg0`` or window offsets into ``tap0``
    (at most one of them non-NULL)."""
    cdef Py_ssize_t n_rows = n_img * d_out * h_out
    cdef int threads = clamp_threads(n_threads, n_rows * w_out)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_out, threads)
    cdef Py_ssize_t img = d_in * h_in * w_in * chans
    cdef Py_ssize_t task, o, d0, d1, h0, h1, w0, w1, at
    cdef ck_pool_window wn
    cdef RowTask t
    for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
        t = row_task(task, chunks, d_out, h_out)
        # assigned here so that Cython makes them thread-private (passing their address
        # alone would leave them shared, see _indexing.split_index)
        d0 = d1 = h0 = h1 = w0 = w1 = 0
        tap_range(t.d * sd - pd, 1, d_in, kd, &d0, &d1)
        tap_range(t.h * sh - ph, 1, h_in, kh, &h0, &h1)
        for o in range(t.chunk * w_out // chunks, (t.chunk + 1) * w_out // chunks):
            tap_range(o * sw - pw, 1, w_in, kw, &w0, &w1)
            at = (t.row * w_out + o) * chans
            if tap0 == NULL:
                _max_pixel(base + t.n * img, out + at, arg0 + at if arg0 != NULL else NULL,
                           h_in, w_in, chans,
                           t.d * sd - pd + d0, t.d * sd - pd + d1,
                           t.h * sh - ph + h0, t.h * sh - ph + h1,
                           o * sw - pw + w0, o * sw - pw + w1)
                continue
            # assigned whole, so that Cython makes it thread-private
            wn = _window(t.d * sd - pd, t.h * sh - ph, o * sw - pw, d0, d1, h0, h1, w0, w1,
                         kh, kw)
            if floating is float:
                ck_pool_maxt_f(base + t.n * img, out + at if out != NULL else NULL, tap0 + at,
                               chans, h_in, w_in, &wn)
            else:
                ck_pool_maxt_d(base + t.n * img, out + at if out != NULL else NULL, tap0 + at,
                               chans, h_in, w_in, &wn)


def max_pool(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
             int32_t[:, :, :, :, ::1] argmax, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
             Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph,
             Py_ssize_t pw, int n_threads):
    """Windowed max, optionally recording the argmax (see the module docstring)."""
    if dst is None:
        raise ValueError("max_pool: dst must be an array")
    _check_geometry(_shape5(src), _shape5(dst), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    if argmax is not None and _shape5(argmax) != _shape5(dst):
        raise ValueError("max_pool: argmax must have the output's shape")
    if dst.shape[0] * dst.shape[1] * dst.shape[2] * dst.shape[3] * dst.shape[4] == 0:
        return
    with nogil:
        _max_windows(&src[0, 0, 0, 0, 0], &dst[0, 0, 0, 0, 0],
                     &argmax[0, 0, 0, 0, 0] if argmax is not None else NULL, NULL,
                     src.shape[0], src.shape[1], src.shape[2], src.shape[3], src.shape[4],
                     dst.shape[1], dst.shape[2], dst.shape[3], kd, kh, kw, sd, sh, sw, pd,
                     ph, pw, n_threads)


def max_pool_taps(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
                  uint8_t[:, :, :, :, ::1] taps, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                  Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph,
                  Py_ssize_t pw, int n_threads):
    """Windowed max routed by window offsets; ``dst`` may be None (see the module
    docstring)."""
    if taps is None:
        raise ValueError("max_pool_taps: taps must be an array")
    _check_geometry(_shape5(src), _shape5(taps), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    if kd * kh * kw > 256:
        raise ValueError(f"max_pool_taps: a window of {kd * kh * kw} taps has offsets past "
                         "255 (at most 256 taps)")
    if dst is not None and _shape5(dst) != _shape5(taps):
        raise ValueError("max_pool_taps: dst must have the shape of taps")
    if taps.shape[0] * taps.shape[1] * taps.shape[2] * taps.shape[3] * taps.shape[4] == 0:
        return
    with nogil:
        _max_windows(&src[0, 0, 0, 0, 0], &dst[0, 0, 0, 0, 0] if dst is not None else NULL,
                     NULL, &taps[0, 0, 0, 0, 0], src.shape[0], src.shape[1], src.shape[2],
                     src.shape[3], src.shape[4], taps.shape[1], taps.shape[2], taps.shape[3],
                     kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)


def avg_pool(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
             Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sd, Py_ssize_t sh,
             Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw, int n_threads):
    """Windowed mean over the real inputs of each window (see the module docstring)."""
    _check_geometry(_shape5(src), _shape5(dst), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    cdef Py_ssize_t d_in = src.shape[1], h_in = src.shape[2], w_in = src.shape[3]
    cdef Py_ssize_t chans = src.shape[4]
    cdef Py_ssize_t d_out = dst.shape[1], h_out = dst.shape[2], w_out = dst.shape[3]
    cdef Py_ssize_t n_rows = dst.shape[0] * d_out * h_out
    if n_rows * w_out * chans == 0:
        return
    cdef int threads = clamp_threads(n_threads, n_rows * w_out)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_out, threads)
    cdef const floating *base = &src[0, 0, 0, 0, 0]
    cdef floating *out = &dst[0, 0, 0, 0, 0]
    cdef Py_ssize_t img = d_in * h_in * w_in * chans
    cdef Py_ssize_t task, o, d0, d1, h0, h1, w0, w1
    cdef RowTask t
    with nogil:
        for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
            t = row_task(task, chunks, d_out, h_out)
            # assigned here so that Cython makes them thread-private (passing their address
            # alone would leave them shared, see _indexing.split_index)
            d0 = d1 = h0 = h1 = w0 = w1 = 0
            tap_range(t.d * sd - pd, 1, d_in, kd, &d0, &d1)
            tap_range(t.h * sh - ph, 1, h_in, kh, &h0, &h1)
            for o in range(t.chunk * w_out // chunks, (t.chunk + 1) * w_out // chunks):
                tap_range(o * sw - pw, 1, w_in, kw, &w0, &w1)
                _avg_pixel(base + t.n * img, out + (t.row * w_out + o) * chans,
                           h_in, w_in, chans,
                           t.d * sd - pd + d0, t.d * sd - pd + d1,
                           t.h * sh - ph + h0, t.h * sh - ph + h1,
                           o * sw - pw + w0, o * sw - pw + w1)


cdef inline Py_ssize_t _tap_count(Py_ssize_t o, Py_ssize_t s, Py_ssize_t p, Py_ssize_t n,
                                  Py_ssize_t k) noexcept nogil:
    """How many real inputs the window of output ``o`` holds along one axis."""
    cdef Py_ssize_t t0 = 0, t1 = 0
    tap_range(o * s - p, 1, n, k, &t0, &t1)
    return t1 - t0


cdef inline void _gather_pixel(const floating *g, const int32_t *arg, floating *q,
                               int32_t flat, Py_ssize_t chans, Py_ssize_t h_out,
                               Py_ssize_t w_out, Py_ssize_t od0, Py_ssize_t od1,
                               Py_ssize_t oh0, Py_ssize_t oh1, Py_ssize_t ow0,
                               Py_ssize_t ow1) noexcept nogil:
    """One input pixel's gradient (``g``, ``arg``: its image's): the sum, in (od, oh, ow)
    order, of the covering outputs' ``g`` -- only where ``arg`` names this pixel (``flat``),
    or all of them when ``arg`` is NULL. Stored once: no zeroing pass."""
    if floating is float:
        ck_pool_gather_f(g, arg, q, flat, chans, h_out, w_out, od0, od1, oh0, oh1, ow0, ow1)
    else:
        ck_pool_gather_d(g, arg, q, flat, chans, h_out, w_out, od0, od1, oh0, oh1, ow0, ow1)


cdef inline ck_pool_cover _cover(Py_ssize_t d, Py_ssize_t h, Py_ssize_t w, Py_ssize_t od0,
                                 Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1, Py_ssize_t ow0,
                                 Py_ssize_t ow1, Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw,
                                 Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t kh,
                                 Py_ssize_t kw) noexcept nogil:
    """Input pixel ``(d, h, w)`` and the outputs ``[od0, od1)`` etc. that cover it."""
    cdef ck_pool_cover cv
    cv.d = d
    cv.h = h
    cv.w = w
    cv.od0 = od0
    cv.od1 = od1
    cv.oh0 = oh0
    cv.oh1 = oh1
    cv.ow0 = ow0
    cv.ow1 = ow1
    cv.sd = sd
    cv.sh = sh
    cv.sw = sw
    cv.pd = pd
    cv.ph = ph
    cv.pw = pw
    cv.kh = kh
    cv.kw = kw
    return cv


cdef void _gather(const floating *g0, const int32_t *a0, const uint8_t *t0, floating *out,
                  Py_ssize_t n_img,
                  Py_ssize_t d_in, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t chans,
                  Py_ssize_t d_out, Py_ssize_t h_out, Py_ssize_t w_out, Py_ssize_t kd,
                  Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw,
                  Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw, int n_threads) noexcept nogil:
    """Both gradients' loop: every input pixel sums what its covering outputs send it
    (``_gather_pixel``; with window offsets ``t0`` instead of flat indices ``a0``,
    ``ck_pool_gathert``). Tasks own input rows (cut along W when few), so no two threads write
    one value and each value's sum has one order, whatever the thread count."""
    cdef Py_ssize_t n_rows = n_img * d_in * h_in
    cdef int threads = clamp_threads(n_threads, n_rows * w_in)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_in, threads)
    cdef Py_ssize_t img_out = d_out * h_out * w_out * chans
    cdef Py_ssize_t task, i, od0, od1, oh0, oh1, ow0, ow1, at
    cdef ck_pool_cover cv
    cdef RowTask t
    for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
        t = row_task(task, chunks, d_in, h_in)
        # assigned here so that Cython makes them thread-private (see _max_windows)
        od0 = od1 = oh0 = oh1 = ow0 = ow1 = 0
        at = t.n * img_out
        _cover_range(t.d, kd, sd, pd, d_out, &od0, &od1)
        _cover_range(t.h, kh, sh, ph, h_out, &oh0, &oh1)
        for i in range(t.chunk * w_in // chunks, (t.chunk + 1) * w_in // chunks):
            _cover_range(i, kw, sw, pw, w_out, &ow0, &ow1)
            if t0 != NULL:
                # assigned whole, so that Cython makes it thread-private
                cv = _cover(t.d, t.h, i, od0, od1, oh0, oh1, ow0, ow1, sd, sh, sw, pd, ph, pw,
                            kh, kw)
                if floating is float:
                    ck_pool_gathert_f(g0 + at, t0 + at, out + (t.row * w_in + i) * chans,
                                      chans, h_out, w_out, &cv)
                else:
                    ck_pool_gathert_d(g0 + at, t0 + at, out + (t.row * w_in + i) * chans,
                                      chans, h_out, w_out, &cv)
                continue
            _gather_pixel(g0 + at, a0 + at if a0 != NULL else NULL,
                          out + (t.row * w_in + i) * chans,
                          <int32_t>((t.d * h_in + t.h) * w_in + i), chans, h_out, w_out,
                          od0, od1, oh0, oh1, ow0, ow1)


def _check_grad_shapes(dy_shape, dx_shape, kd, kh, kw, sd, sh, sw, pd, ph, pw):
    _check_geometry(tuple(dx_shape), tuple(dy_shape), kd, kh, kw, sd, sh, sw, pd, ph, pw)


def max_pool_grad(const floating[:, :, :, :, ::1] dy, const int32_t[:, :, :, :, ::1] argmax,
                  floating[:, :, :, :, ::1] dx, Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw,
                  Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph,
                  Py_ssize_t pw, int n_threads):
    """Route each output gradient to its window's recorded argmax (a gather over inputs)."""
    _check_grad_shapes(_shape5(dy), _shape5(dx), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    if _shape5(argmax) != _shape5(dy):
        raise ValueError("max_pool_grad: argmax must have the output gradient's shape")
    if dx.shape[0] * dx.shape[1] * dx.shape[2] * dx.shape[3] * dx.shape[4] == 0:
        return
    if dy.shape[1] * dy.shape[2] * dy.shape[3] == 0:  # no window: nothing flows back
        dx[...] = 0
        return
    with nogil:
        _gather(&dy[0, 0, 0, 0, 0], &argmax[0, 0, 0, 0, 0], NULL, &dx[0, 0, 0, 0, 0],
                dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3], dx.shape[4], dy.shape[1],
                dy.shape[2], dy.shape[3], kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)


def max_pool_taps_grad(const floating[:, :, :, :, ::1] dy, const uint8_t[:, :, :, :, ::1] taps,
                       floating[:, :, :, :, ::1] dx, Py_ssize_t kd, Py_ssize_t kh,
                       Py_ssize_t kw, Py_ssize_t sd, Py_ssize_t sh, Py_ssize_t sw,
                       Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw, int n_threads):
    """Route each output gradient to its window's recorded offset (a gather over inputs)."""
    _check_grad_shapes(_shape5(dy), _shape5(dx), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    if _shape5(taps) != _shape5(dy):
        raise ValueError("max_pool_taps_grad: taps must have the output gradient's shape")
    if kd * kh * kw > 256:
        raise ValueError(f"max_pool_taps_grad: a window of {kd * kh * kw} taps has offsets "
                         "past 255 (at most 256 taps)")
    if dx.shape[0] * dx.shape[1] * dx.shape[2] * dx.shape[3] * dx.shape[4] == 0:
        return
    if dy.shape[1] * dy.shape[2] * dy.shape[3] == 0:  # no window: nothing flows back
        dx[...] = 0
        return
    with nogil:
        _gather(&dy[0, 0, 0, 0, 0], NULL, &taps[0, 0, 0, 0, 0], &dx[0, 0, 0, 0, 0],
                dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3], dx.shape[4], dy.shape[1],
                dy.shape[2], dy.shape[3], kd, kh, kw, sd, sh, sw, pd, ph, pw, n_threads)


def avg_pool_grad(const floating[:, :, :, :, ::1] dy, floating[:, :, :, :, ::1] dx,
                  Py_ssize_t kd, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t sd, Py_ssize_t sh,
                  Py_ssize_t sw, Py_ssize_t pd, Py_ssize_t ph, Py_ssize_t pw, int n_threads):
    """Spread each output gradient evenly over its window's real inputs (a gather).

    Each output's share ``dy / count`` is computed once, into a scratch array, before the
    gather: dividing inside the gather would divide each output once per input it covers,
    and the divisions, not the memory, would bound the kernel."""
    _check_grad_shapes(_shape5(dy), _shape5(dx), kd, kh, kw, sd, sh, sw, pd, ph, pw)
    if dx.shape[0] * dx.shape[1] * dx.shape[2] * dx.shape[3] * dx.shape[4] == 0:
        return
    if dy.shape[1] * dy.shape[2] * dy.shape[3] == 0:  # no window: nothing flows back
        dx[...] = 0
        return
    cdef Py_ssize_t d_in = dx.shape[1], h_in = dx.shape[2], w_in = dx.shape[3]
    cdef Py_ssize_t chans = dx.shape[4]
    cdef Py_ssize_t d_out = dy.shape[1], h_out = dy.shape[2], w_out = dy.shape[3]
    cdef Py_ssize_t n_rows = dy.shape[0] * d_out * h_out
    dtype = np.float32 if floating is float else np.float64
    cdef floating[:, :, :, :, ::1] share = np.empty(_shape5(dy), dtype=dtype)
    cdef int threads = clamp_threads(n_threads, n_rows)
    cdef Py_ssize_t task, o, c, rows
    cdef floating count
    cdef const floating *g
    cdef floating *q
    cdef RowTask t
    with nogil:
        if n_rows * w_out * chans > 0:
            for task in prange(n_rows, schedule="static", num_threads=threads):
                t = row_task(task, 1, d_out, h_out)
                rows = (_tap_count(t.d, sd, pd, d_in, kd) * _tap_count(t.h, sh, ph, h_in, kh))
                for o in range(w_out):
                    # the same integer product as before the cast: the bits of the old
                    # per-tap division
                    count = <floating>(rows * _tap_count(o, sw, pw, w_in, kw))
                    g = &dy[0, 0, 0, 0, 0] + (t.row * w_out + o) * chans
                    q = &share[0, 0, 0, 0, 0] + (t.row * w_out + o) * chans
                    for c in range(chans):
                        q[c] = g[c] / count
        _gather(&share[0, 0, 0, 0, 0], NULL, NULL, &dx[0, 0, 0, 0, 0], dx.shape[0], d_in,
                h_in, w_in, chans, d_out, h_out, w_out, kd, kh, kw, sd, sh, sw, pd, ph, pw,
                n_threads)


# ---------------------------------------------------------------------------------------------
# global pooling

cdef Py_ssize_t _pieces(Py_ssize_t p_len, Py_ssize_t chans) noexcept nogil:
    """Pieces of the pooled axis per image: from the shape alone (never the thread count)."""
    cdef Py_ssize_t pieces = p_len * chans // PIECE_VALUES
    if pieces > MAX_PIECES:
        pieces = MAX_PIECES
    if pieces > p_len:
        pieces = p_len
    return pieces if pieces > 1 else 1


cdef void _reduce_piece(const floating *src, floating *acc, Py_ssize_t p0, Py_ssize_t p1,
                        Py_ssize_t chans, bint is_max) noexcept nogil:
    """acc[c] = sum or max of src[p, c] over p in [p0, p1) (non-empty), in p order."""
    cdef Py_ssize_t p, c
    cdef const floating *row
    cdef floating v, m
    row = src + p0 * chans
    for c in range(chans):
        acc[c] = row[c]
    for p in range(p0 + 1, p1):
        row = src + p * chans
        if is_max:
            for c in range(chans):
                v = row[c]
                m = acc[c]
                acc[c] = v if _takes(v, m) else m
        else:
            for c in range(chans):
                acc[c] = acc[c] + row[c]


def global_pool(const floating[:, :, ::1] src, floating[:, ::1] dst, bint is_max,
                int n_threads):
    """Sum or max over axis 1 of ``(N, P, C)`` (see the module docstring)."""
    cdef Py_ssize_t n = src.shape[0], p_len = src.shape[1], chans = src.shape[2]
    if dst.shape[0] != n or dst.shape[1] != chans:
        raise ValueError("global_pool: dst must be (N, C) for src (N, P, C)")
    if n * chans == 0:
        return
    if p_len == 0:
        raise ValueError("global_pool: nothing to pool over (a zero-length spatial axis)")
    cdef Py_ssize_t pieces = _pieces(p_len, chans)
    dtype = np.float32 if floating is float else np.float64
    cdef floating[:, :, ::1] partial = np.empty((n, pieces, chans), dtype=dtype)
    cdef const floating *base = &src[0, 0, 0]
    cdef floating *part = &partial[0, 0, 0]
    cdef floating *out = &dst[0, 0]
    cdef int threads = clamp_threads(n_threads, n * pieces)
    cdef Py_ssize_t task, b, k, c
    cdef floating v, m
    with nogil:
        for task in prange(n * pieces, schedule="static", num_threads=threads):
            b = task // pieces
            k = task - b * pieces
            _reduce_piece(base + b * p_len * chans, part + task * chans,
                          k * p_len // pieces, (k + 1) * p_len // pieces, chans, is_max)
        # combine the pieces of each image in piece order (cheap: N * pieces * C values)
        for b in range(n):
            for c in range(chans):
                out[b * chans + c] = part[b * pieces * chans + c]
            for k in range(1, pieces):
                for c in range(chans):
                    v = part[(b * pieces + k) * chans + c]
                    m = out[b * chans + c]
                    if is_max:
                        out[b * chans + c] = v if _takes(v, m) else m
                    else:
                        out[b * chans + c] = m + v
