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

``upsample_nearest_sum(src, dst, size_d, size_h, size_w, n_threads)``
    The adjoint of ``upsample_nearest`` on float32/float64 data: each ``dst`` pixel is the sum
    of its ``size_d * size_h * size_w`` block of ``src`` (tasks are ``dst`` rows).

``resample(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w, factor_w, q_lo,
q_hi, n_threads)``
    ``src``/``dst``: float32 or float64 ``(N, D, H, W, C)`` (same dtype, same N and C). Per axis
    a tap table: ``start_x`` (``Py_ssize_t[::1]``, one entry per output index, non-decreasing)
    and ``weight_x`` (``[out_x, taps_x]``, same dtype as the data), so that
    ``dst[n, i, j, k] = sum_{a, b, e} weight_d[i, a] * weight_h[j, b] * weight_w[k, e]
    * src[n, start_d[i] + a, start_h[j] + b, start_w[k] + e]``; every tap must lie inside the
    input. ``ops.resample.tap_table`` builds the tables; ``_check_taps`` refuses unsafe ones. ``factor_w`` is the W upsampling factor (``W_out = factor_w * W_in``); over input
    pixels ``[q_lo, q_hi)`` (empty if ``q_hi <= q_lo``) the W taps must be periodic: output
    ``factor_w * q + p`` starts at ``q + off_p`` with weights depending on ``p`` only. D and H
    taps are combined first into one row (per-thread scratch), then W taps: pixel by pixel with
    channels the vectorised loop, or phase by phase, vectorised along W, when channels are few.

``resample_gather(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w,
n_threads)``
    The same sum for tap tables of any output length (no factor, no periodic range; pixel by
    pixel only). Over the transposed tables of an upsampling it is that upsampling's adjoint,
    as a gather: each input-gradient pixel is owned by one task, no atomics.
"""

import numpy as np

from cython.parallel cimport parallel, prange, threadid
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, uintptr_t
from libc.string cimport memcpy, memset

from ._indexing cimport RowTask, clamp, clamp_threads, row_task

ctypedef fused word_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused floating:
    float
    double

cdef extern from *:
    """
    /* Copy with non-temporal (streaming) stores: the destination lines are not read first
       (no read-for-ownership) and do not evict the source from the caches. Worth it only for
       outputs much larger than the caches, which is when the caller uses it. Loads may be
       unaligned; stores start at the first 16-byte boundary. Callers end with
       rk_stream_fence() before other threads may read the bytes. */
    #include <string.h>
    #if defined(__SSE2__)
    #  include <emmintrin.h>
    #  if defined(__AVX512F__) || defined(__AVX__)
    #    include <immintrin.h>
    #  endif
    static inline void rk_stream_copy(unsigned char *dst, const unsigned char *src, Py_ssize_t n) {
        Py_ssize_t head = (Py_ssize_t)((16 - ((size_t)dst & 15)) & 15), i;
        if (n < 256) { memcpy(dst, src, (size_t)n); return; }
        memcpy(dst, src, (size_t)head);
        dst += head; src += head; n -= head;
    #  if defined(__AVX512F__)
        for (; ((size_t)dst & 63) && n >= 16; dst += 16, src += 16, n -= 16)
            _mm_stream_si128((__m128i *)dst, _mm_loadu_si128((const __m128i *)src));
        for (i = 0; i + 64 <= n; i += 64)
            _mm512_stream_si512((__m512i *)(dst + i), _mm512_loadu_si512((const void *)(src + i)));
    #  elif defined(__AVX__)
        for (; ((size_t)dst & 31) && n >= 16; dst += 16, src += 16, n -= 16)
            _mm_stream_si128((__m128i *)dst, _mm_loadu_si128((const __m128i *)src));
        for (i = 0; i + 32 <= n; i += 32)
            _mm256_stream_si256((__m256i *)(dst + i), _mm256_loadu_si256((const __m256i *)(src + i)));
    #  else
        for (i = 0; i + 16 <= n; i += 16)
            _mm_stream_si128((__m128i *)(dst + i), _mm_loadu_si128((const __m128i *)(src + i)));
    #  endif
        memcpy(dst + i, src + i, (size_t)(n - i));
    }
    static inline void rk_stream_fence(void) { _mm_sfence(); }
    #else
    static inline void rk_stream_copy(unsigned char *dst, const unsigned char *src, Py_ssize_t n) {
        memcpy(dst, src, (size_t)n);
    }
    static inline void rk_stream_fence(void) {}
    #endif
    """
    void rk_stream_copy(uint8_t *dst, const uint8_t *src, Py_ssize_t n) noexcept nogil
    void rk_stream_fence() noexcept nogil

cdef enum:
    # outputs at least this large are written with streaming stores (see rk_stream_copy): far
    # beyond the L2 caches, where the usual write-allocate reads every line before writing it.
    # (Not a threading decision: how many threads a call gets is the caller's n_threads, from
    # convkit._threads.threads_for, lowered only to the number of tasks.)
    STREAM_MIN_BYTES = 1 << 24
    # when rows are scarce (1-D data, batch 1), rows are cut along W into this many tasks
    # per thread at least, so that static scheduling stays balanced
    TASKS_PER_THREAD = 4
    # channel block of the interpolation's W pass: one zmm of float32, two of float64
    CB = 16


cdef Py_ssize_t _row_chunks(Py_ssize_t n_rows, Py_ssize_t width, int n_threads) noexcept nogil:
    """How many W-pieces to cut each row into so every thread gets several tasks."""
    cdef Py_ssize_t wanted = <Py_ssize_t>n_threads * TASKS_PER_THREAD
    if n_threads <= 1 or n_rows >= wanted or width <= 1:
        return 1
    return min(width, (wanted + n_rows - 1) // n_rows)


cdef int _team(Py_ssize_t n_rows, Py_ssize_t width, int n_threads) noexcept nogil:
    """Threads for a loop over ``n_rows`` rows cut by :func:`_row_chunks`: the caller's
    count, at most one per task."""
    return clamp_threads(n_threads, n_rows * _row_chunks(n_rows, width, n_threads))


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
# the adjoint of nearest upsampling: block sums

cdef inline void _sum_blocks_row(const floating *s, floating *o, Py_ssize_t n_pix,
                                 Py_ssize_t size_w, Py_ssize_t chans,
                                 bint first) noexcept nogil:
    """o[p, c] (=|+=) sum_e s[p * size_w + e, c] for ``n_pix`` pixels of ``chans`` channels.

    The summation order is fixed by the shapes alone (e ascending, after the rows before),
    never by how rows were cut into tasks: any thread count gives the same bits.
    """
    cdef Py_ssize_t i, p, e, c
    cdef const floating *sp
    cdef floating *op
    cdef floating acc
    if size_w == 1:
        if first:
            for i in range(n_pix * chans):
                o[i] = s[i]
        else:
            for i in range(n_pix * chans):
                o[i] += s[i]
    elif chans == 1:  # channels_first data: sum along the row, one pixel at a time
        for p in range(n_pix):
            acc = s[p * size_w]
            for e in range(1, size_w):
                acc = acc + s[p * size_w + e]
            if first:
                o[p] = acc
            else:
                o[p] += acc
    else:  # channels innermost: each step a contiguous vector of channels
        for p in range(n_pix):
            sp = s + p * size_w * chans
            op = o + p * chans
            if first:
                for c in range(chans):
                    op[c] = sp[c]
            else:
                for c in range(chans):
                    op[c] += sp[c]
            for e in range(1, size_w):
                for c in range(chans):
                    op[c] += sp[e * chans + c]


def upsample_nearest_sum(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
                         Py_ssize_t size_d, Py_ssize_t size_h, Py_ssize_t size_w,
                         int n_threads):
    """The adjoint of ``upsample_nearest``: ``dst[n, d, h, w] = sum over the block
    src[n, d*size_d : (d+1)*size_d, h*size_h : ..., w*size_w : ...]`` (float32 or float64,
    ``src`` spatial dims = ``dst``'s times the sizes).

    Tasks are ``dst`` rows (cut along W when rows are scarce); each sums its ``size_d *
    size_h`` source rows in order into the row it owns, so nothing is reduced across threads.
    """
    cdef Py_ssize_t n = dst.shape[0], d_out = dst.shape[1], h_out = dst.shape[2]
    cdef Py_ssize_t w_out = dst.shape[3], chans = dst.shape[4]
    if (size_d < 1 or size_h < 1 or size_w < 1 or src.shape[0] != n
            or src.shape[1] != d_out * size_d or src.shape[2] != h_out * size_h
            or src.shape[3] != w_out * size_w or src.shape[4] != chans):
        raise ValueError("upsample_nearest_sum: src shape must be dst shape times the sizes")
    cdef Py_ssize_t n_rows = n * d_out * h_out
    if n_rows * w_out * chans == 0:
        return
    cdef const floating *base = &src[0, 0, 0, 0, 0]
    cdef floating *out = &dst[0, 0, 0, 0, 0]
    cdef Py_ssize_t h_in = h_out * size_h, d_in = d_out * size_d
    cdef Py_ssize_t row_in = w_out * size_w * chans, row_out = w_out * chans
    cdef int threads = _team(n_rows, w_out, n_threads)
    cdef Py_ssize_t chunks = _row_chunks(n_rows, w_out, threads)
    cdef Py_ssize_t task, w0, w1, a, b
    cdef RowTask t
    cdef const floating *block
    with nogil:
        for task in prange(n_rows * chunks, schedule="static", num_threads=threads):
            t = row_task(task, chunks, d_out, h_out)
            w0 = t.chunk * w_out // chunks
            w1 = (t.chunk + 1) * w_out // chunks
            # first source row of the block: (n, d*size_d, h*size_h), from pixel w0*size_w
            block = (base + ((t.n * d_in + t.d * size_d) * h_in + t.h * size_h) * row_in
                     + w0 * size_w * chans)
            for a in range(size_d):
                for b in range(size_h):
                    _sum_blocks_row(block + (a * h_in + b) * row_in,
                                    out + t.row * row_out + w0 * chans, w1 - w0, size_w,
                                    chans, a == 0 and b == 0)


# ---------------------------------------------------------------------------------------------
# interpolating upsampling (separable tap tables)

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


def resample_gather(const floating[:, :, :, :, ::1] src, floating[:, :, :, :, ::1] dst,
                    const Py_ssize_t[::1] start_d, const floating[:, ::1] weight_d,
                    const Py_ssize_t[::1] start_h, const floating[:, ::1] weight_h,
                    const Py_ssize_t[::1] start_w, const floating[:, ::1] weight_w,
                    int n_threads):
    """``resample`` for tap tables of any shape: no W factor, no periodic range, any output
    lengths (the adjoint of an upsampling gathers its input gradient this way, over the
    transposed tables of ``ops.resample.transposed_tap_table``). Every output pixel takes the
    pixel-by-pixel path, so any cut of the rows gives the same bits."""
    _check_tables(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w)
    _check_taps(start_w, dst.shape[3], weight_w.shape[1], src.shape[3], "W")
    _resample_rows(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w,
                   1, dst.shape[3], 0, 0, n_threads)


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
