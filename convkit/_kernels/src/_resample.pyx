# cython: language_level=3
"""Memory-bound resampling kernels: zero padding, cropping, upsampling (docs/design/kernels.md §7).

Every array is a C-contiguous 5-D ``(N, D, H, W, B)`` channels-last block (1-D and 2-D data
arrive with singleton D/H axes; ``channels_first`` data arrive as batch ``N*C`` with one
channel). The byte kernels see the last axis as raw bytes, ``B = C * itemsize``, so one kernel
serves every dtype. Work is split into static tasks over rows ``(n, d, h)`` -- output rows;
for nearest upsampling input rows, each writing its ``size_d * size_h`` output rows -- further
cut along W when there are too few rows to feed every thread. Any thread count writes exactly
the same bytes, and the thread owning a row first-touches its pages.

Entry points (all release the GIL once; shapes are checked, values are trusted):

``window_copy(src, dst, off_d, off_h, off_w, n_threads)``
    ``src``/``dst``: ``const uint8_t[:, :, :, :, ::1]`` / ``uint8_t[:, :, :, :, ::1]`` with the
    same N and B. ``dst[n, d, h, w] = src[n, d - off_d, h - off_h, w - off_w]`` where that pixel
    exists, else zero bytes. Positive offsets zero-pad, negative ones crop (any mix).

``upsample_nearest(src, dst, size_d, size_h, size_w, n_threads)``
    Byte arrays as above, ``dst`` spatial dims = ``src``'s times the sizes;
    ``dst[n, d, h, w] = src[n, d // size_d, h // size_h, w // size_w]``.

``resample(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w, factor_w, q_lo,
q_hi, n_threads)``
    ``src``/``dst``: float32 or float64 ``(N, D, H, W, C)`` (same dtype, same N and C). Per axis
    a tap table: ``start_x`` (``Py_ssize_t[::1]``, one entry per output index, non-decreasing)
    and ``weight_x`` (``[out_x, taps_x]``, same dtype as the data), so that
    ``dst[n, i, j, k] = sum_{a, b, e} weight_d[i, a] * weight_h[j, b] * weight_w[k, e]
    * src[n, start_d[i] + a, start_h[j] + b, start_w[k] + e]``; every tap must lie inside the
    input. ``ops.resample.tap_table`` builds the tables; ``_check_taps`` refuses unsafe ones.
    ``factor_w`` is the W upsampling factor (``W_out = factor_w * W_in``); over input
    pixels ``[q_lo, q_hi)`` (empty if ``q_hi <= q_lo``) the W taps must be periodic: output
    ``factor_w * q + p`` starts at ``q + off_p`` with weights depending on ``p`` only. D and H
    taps are combined first into one row (per-thread scratch), then W taps: pixel by pixel with
    channels the vectorised loop, or phase by phase, vectorised along W, when channels are few.

The adjoints (``upsample_nearest_sum``, ``resample_gather``) live in ``_resample_grad``.
"""

import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t
from libc.string cimport memcpy, memset

from ._indexing cimport RowTask, clamp, row_task

include "_resample_rows.pxi"
include "_resample_taps.pxi"

ctypedef fused word_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t


# ---------------------------------------------------------------------------------------------
# zero padding and cropping: one shifted-window copy

cdef inline void _window_row(const uint8_t *src_row, uint8_t *dst_row, Py_ssize_t w_in,
                             Py_ssize_t off_w, Py_ssize_t w0, Py_ssize_t w1,
                             Py_ssize_t nbytes, bint stream) noexcept nogil:
    """Write output pixels [w0, w1) of one row; ``src_row`` NULL means a row of zeros."""
    cdef Py_ssize_t lo, hi
    if src_row == NULL:
        memset(dst_row + w0 * nbytes, 0, (w1 - w0) * nbytes)
        return
    lo = clamp(off_w, w0, w1)             # first output pixel with a source
    hi = clamp(off_w + w_in, lo, w1)      # one past the last
    if lo > w0:
        memset(dst_row + w0 * nbytes, 0, (lo - w0) * nbytes)
    if hi > lo and stream:
        rk_stream_copy(dst_row + lo * nbytes, src_row + (lo - off_w) * nbytes, (hi - lo) * nbytes)
    elif hi > lo:
        memcpy(dst_row + lo * nbytes, src_row + (lo - off_w) * nbytes, (hi - lo) * nbytes)
    if w1 > hi:
        memset(dst_row + hi * nbytes, 0, (w1 - hi) * nbytes)


def window_copy(const uint8_t[:, :, :, :, ::1] src, uint8_t[:, :, :, :, ::1] dst,
                Py_ssize_t off_d, Py_ssize_t off_h, Py_ssize_t off_w, int n_threads):
    """Shifted-window byte copy with zero fill (see the module docstring)."""
    cdef Py_ssize_t n = src.shape[0], d_in = src.shape[1], h_in = src.shape[2]
    cdef Py_ssize_t w_in = src.shape[3], nbytes = src.shape[4]
    cdef Py_ssize_t d_out = dst.shape[1], h_out = dst.shape[2], w_out = dst.shape[3]
    if dst.shape[0] != n or dst.shape[4] != nbytes:
        raise ValueError("window_copy: src and dst differ in batch or pixel size")
    cdef Py_ssize_t n_rows = n * d_out * h_out
    if n_rows * w_out * nbytes == 0:
        return
    cdef bint has_src = d_in * h_in * w_in > 0
    cdef const uint8_t *base = &src[0, 0, 0, 0, 0] if has_src else NULL
    cdef uint8_t *out = &dst[0, 0, 0, 0, 0]
    cdef Py_ssize_t row_bytes_in = w_in * nbytes, row_bytes_out = w_out * nbytes
    cdef int threads = _team(n_rows, w_out, n_threads)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_out, threads)
    cdef Py_ssize_t task, sd, sh
    cdef RowTask t
    cdef const uint8_t *src_row
    cdef bint stream = n_rows * row_bytes_out >= STREAM_MIN_BYTES
    with nogil:
        for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
            t = row_task(task, chunks, d_out, h_out)
            sd = t.d - off_d
            sh = t.h - off_h
            if has_src and 0 <= sd < d_in and 0 <= sh < h_in:
                src_row = base + ((t.n * d_in + sd) * h_in + sh) * row_bytes_in
            else:
                src_row = NULL
            _window_row(src_row, out + t.row * row_bytes_out, w_in, off_w,
                        t.chunk * w_out // chunks, (t.chunk + 1) * w_out // chunks, nbytes,
                        stream)
            if stream:
                rk_stream_fence()  # this task's streamed bytes are visible before it ends



# ---------------------------------------------------------------------------------------------
# nearest upsampling

cdef inline void _repeat_words(const word_t *src, word_t *dst, Py_ssize_t n_pix,
                               Py_ssize_t rep) noexcept nogil:
    """Pixels of one 1/2/4/8-byte word (word-aligned addresses), each ``rep`` times."""
    cdef Py_ssize_t p, r
    cdef word_t v
    if rep == 2:  # the common case: gcc turns it into vector interleaves
        for p in range(n_pix):
            dst[2 * p] = src[p]
            dst[2 * p + 1] = src[p]
    else:
        for p in range(n_pix):
            v = src[p]
            for r in range(rep):
                dst[p * rep + r] = v


cdef inline void _repeat_pixels(const uint8_t *src, uint8_t *dst, Py_ssize_t n_pix,
                                Py_ssize_t rep, Py_ssize_t nbytes) noexcept nogil:
    """dst = each of the ``n_pix`` pixels of ``src`` written ``rep`` times in a row."""
    cdef Py_ssize_t p, r
    # word moves only on word-aligned addresses (int8 x 4 channels is 4 bytes but may sit at
    # any address; the vectoriser may assume alignment)
    cdef bint aligned = ((<uintptr_t>src) | (<uintptr_t>dst)) % nbytes == 0 if nbytes <= 8 else 0
    if rep == 1:
        memcpy(dst, src, n_pix * nbytes)
    elif not aligned and nbytes <= 8:
        for p in range(n_pix):
            for r in range(rep):
                memcpy(dst + (p * rep + r) * nbytes, src + p * nbytes, nbytes)
    elif nbytes == 4:
        _repeat_words(<const uint32_t*>src, <uint32_t*>dst, n_pix, rep)
    elif nbytes == 8:
        _repeat_words(<const uint64_t*>src, <uint64_t*>dst, n_pix, rep)
    elif nbytes == 2:
        _repeat_words(<const uint16_t*>src, <uint16_t*>dst, n_pix, rep)
    elif nbytes == 1:
        _repeat_words(<const uint8_t*>src, <uint8_t*>dst, n_pix, rep)
    elif nbytes % 64 == 0:
        _repeat_blocks64(src, dst, n_pix, rep, nbytes // 64)
    else:
        for p in range(n_pix):
            for r in range(rep):
                memcpy(dst + (p * rep + r) * nbytes, src + p * nbytes, nbytes)


cdef inline void _repeat_blocks64(const uint8_t *src, uint8_t *dst, Py_ssize_t n_pix,
                                  Py_ssize_t rep, Py_ssize_t blocks) noexcept nogil:
    """Pixels of ``blocks`` x 64 bytes: fixed-size 64-byte moves (one zmm each)."""
    cdef Py_ssize_t p, r, q
    cdef Py_ssize_t nbytes = blocks * 64
    cdef const uint8_t *s
    cdef uint8_t *t
    for p in range(n_pix):
        s = src + p * nbytes
        for r in range(rep):
            t = dst + (p * rep + r) * nbytes
            for q in range(blocks):
                memcpy(t + q * 64, s + q * 64, 64)


def upsample_nearest(const uint8_t[:, :, :, :, ::1] src, uint8_t[:, :, :, :, ::1] dst,
                     Py_ssize_t size_d, Py_ssize_t size_h, Py_ssize_t size_w, int n_threads):
    """Nearest-neighbour upsampling on raw bytes (see the module docstring)."""
    cdef Py_ssize_t n = src.shape[0], d_in = src.shape[1], h_in = src.shape[2]
    cdef Py_ssize_t w_in = src.shape[3], nbytes = src.shape[4]
    if (size_d < 1 or size_h < 1 or size_w < 1 or dst.shape[0] != n
            or dst.shape[1] != d_in * size_d or dst.shape[2] != h_in * size_h
            or dst.shape[3] != w_in * size_w or dst.shape[4] != nbytes):
        raise ValueError("upsample_nearest: dst shape must be src shape times the sizes")
    cdef Py_ssize_t n_rows = n * d_in * h_in           # tasks are *input* rows
    if n_rows * w_in * nbytes == 0:
        return
    cdef const uint8_t *base = &src[0, 0, 0, 0, 0]
    cdef uint8_t *out = &dst[0, 0, 0, 0, 0]
    cdef Py_ssize_t h_out = h_in * size_h, d_out = d_in * size_d
    cdef Py_ssize_t row_in = w_in * nbytes, row_out = w_in * size_w * nbytes
    cdef int threads = _team(n_rows, w_in, n_threads)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_in, threads)
    cdef Py_ssize_t task, w0, w1, a, c, seg_off, seg_len
    cdef RowTask t
    cdef uint8_t *first
    with nogil:
        for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
            t = row_task(task, chunks, d_in, h_in)
            w0 = t.chunk * w_in // chunks
            w1 = (t.chunk + 1) * w_in // chunks
            seg_off = w0 * size_w * nbytes
            seg_len = (w1 - w0) * size_w * nbytes
            # output row (b, d*size_d, h*size_h): build it, then replicate the segment
            first = (out + ((t.n * d_out + t.d * size_d) * h_out + t.h * size_h) * row_out
                     + seg_off)
            _repeat_pixels(base + t.row * row_in + w0 * nbytes, first, w1 - w0, size_w, nbytes)
            for a in range(size_d):
                for c in range(size_h):
                    if a == 0 and c == 0:
                        continue
                    memcpy(out + ((t.n * d_out + t.d * size_d + a) * h_out + t.h * size_h + c)
                           * row_out + seg_off, first, seg_len)


# ---------------------------------------------------------------------------------------------
# interpolating upsampling (separable tap tables: _resample_taps.pxi)

def resample(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
             const Py_ssize_t[::1] start_d, const floating[:, ::1] weight_d,
             const Py_ssize_t[::1] start_h, const floating[:, ::1] weight_h,
             const Py_ssize_t[::1] start_w, const floating[:, ::1] weight_w,
             Py_ssize_t factor_w, Py_ssize_t q_lo, Py_ssize_t q_hi, int n_threads):
    """Separable tap-table resampling (see the module docstring)."""
    _check_tables(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w)
    if factor_w < 1 or dst.shape[3] != factor_w * src.shape[3]:
        raise ValueError("resample: W output length must be factor_w times the input's")
    _check_taps(start_w, dst.shape[3], weight_w.shape[1], src.shape[3], "W", factor_w, q_lo,
                q_hi)
    # rows are cut along W in whole groups of factor_w output pixels (see _resample_row)
    _resample_rows(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w,
                   factor_w, src.shape[3], q_lo, q_hi, n_threads)

