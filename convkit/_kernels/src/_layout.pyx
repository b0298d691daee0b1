# cython: language_level=3
"""Layout transposes between channels_first and channels_last, parallel and cache-blocked.

An ``(N, C, S)`` array (S = the flattened spatial size) becomes ``(N, S, C)`` or back. Elements
are moved as raw 1/2/4/8-byte words, so one kernel serves every dtype.

Tiles are panels rather than squares: the short side (usually the channels) is taken whole, up
to PANEL_MAX, and the long side is cut so a tile holds about TILE_WORDS words. A channels
panel then writes one contiguous block of the output and reads a few hundred bytes from each
input row, so both sides stay in L1/L2 and each task touches few pages; square 32 x 32 tiles
read 32 rows a page apart each and measured 2-4x slower here.
"""

from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

ctypedef fused word_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

cdef enum:
    PANEL_MAX = 256
    TILE_WORDS = 8192


cdef extern from *:
    """
    #include <stdint.h>
    #include <stddef.h>
    #if defined(__GNUC__) || defined(__clang__)
    #define CK_BLOCK8 1
    typedef uint32_t ck_v8u __attribute__((vector_size(32)));
    typedef uint32_t ck_v8u_u __attribute__((vector_size(32), aligned(4), may_alias));
    typedef int32_t ck_v8i __attribute__((vector_size(32)));
    /* dst[c, r] = src[r, c] for an 8 x 8 block of 4-byte words, in registers: three rounds
       of interleaving (32-bit pairs, 64-bit pairs, 128-bit halves) instead of 64 scalar
       moves, each of which read a different input line */
    static inline void ck_transpose8x8_u32(const uint32_t *src, ptrdiff_t sstride,
                                           uint32_t *dst, ptrdiff_t dstride) {
        const ck_v8i lo32 = {0, 8, 1, 9, 4, 12, 5, 13}, hi32 = {2, 10, 3, 11, 6, 14, 7, 15};
        const ck_v8i lo64 = {0, 1, 8, 9, 4, 5, 12, 13}, hi64 = {2, 3, 10, 11, 6, 7, 14, 15};
        const ck_v8i lo128 = {0, 1, 2, 3, 8, 9, 10, 11}, hi128 = {4, 5, 6, 7, 12, 13, 14, 15};
        ck_v8u r[8], t[8], u[8];
        int i;
        for (i = 0; i < 8; i++) r[i] = *(const ck_v8u_u *)(src + i * sstride);
        for (i = 0; i < 8; i += 2) {
            t[i] = __builtin_shuffle(r[i], r[i + 1], lo32);
            t[i + 1] = __builtin_shuffle(r[i], r[i + 1], hi32);
        }
        for (i = 0; i < 8; i += 4) {
            u[i] = __builtin_shuffle(t[i], t[i + 2], lo64);
            u[i + 1] = __builtin_shuffle(t[i], t[i + 2], hi64);
            u[i + 2] = __builtin_shuffle(t[i + 1], t[i + 3], lo64);
            u[i + 3] = __builtin_shuffle(t[i + 1], t[i + 3], hi64);
        }
        for (i = 0; i < 4; i++) {
            *(ck_v8u_u *)(dst + i * dstride) = __builtin_shuffle(u[i], u[i + 4], lo128);
            *(ck_v8u_u *)(dst + (i + 4) * dstride) = __builtin_shuffle(u[i], u[i + 4], hi128);
        }
    }
    #else
    #define CK_BLOCK8 0
    static inline void ck_transpose8x8_u32(const uint32_t *src, ptrdiff_t sstride,
                                           uint32_t *dst, ptrdiff_t dstride) {
        int r, c;
        for (c = 0; c < 8; c++)
            for (r = 0; r < 8; r++) dst[c * dstride + r] = src[r * sstride + c];
    }
    #endif
    """
    void ck_transpose8x8_u32(const uint32_t *src, Py_ssize_t sstride, uint32_t *dst,
                             Py_ssize_t dstride) noexcept nogil


cdef inline void _transpose_tile(const word_t *src, word_t *dst, Py_ssize_t rows,
                                 Py_ssize_t cols, Py_ssize_t r0, Py_ssize_t r1,
                                 Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    """dst[c, r] = src[r, c] for rows [r0, r1) and columns [c0, c1) of a rows x cols matrix."""
    cdef Py_ssize_t r, c, c8 = c0, r8 = r0
    if word_t is uint32_t:  # float32: whole 8 x 8 blocks in registers, the rims below
        c8 = c0 + (c1 - c0) // 8 * 8
        r8 = r0 + (r1 - r0) // 8 * 8
        for c in range(c0, c8, 8):
            for r in range(r0, r8, 8):
                ck_transpose8x8_u32(<const uint32_t *>src + r * cols + c, cols,
                                    <uint32_t *>dst + c * rows + r, rows)
        for c in range(c0, c8):
            for r in range(r8, r1):
                dst[c * rows + r] = src[r * cols + c]
    for c in range(c8, c1):  # contiguous writes: each output row of the tile in one run
        for r in range(r0, r1):
            dst[c * rows + r] = src[r * cols + c]


cdef void _transpose_batch(const word_t *src, word_t *dst, Py_ssize_t n, Py_ssize_t rows,
                           Py_ssize_t cols, int n_threads) noexcept nogil:
    # panel shape: the shorter side whole (up to PANEL_MAX), the other cut to ~TILE_WORDS
    cdef Py_ssize_t tile_r, tile_c
    if rows <= cols:
        tile_r = min(rows, PANEL_MAX)
        tile_c = max(16, TILE_WORDS // tile_r)
    else:
        tile_c = min(cols, PANEL_MAX)
        tile_r = max(16, TILE_WORDS // tile_c)
    cdef Py_ssize_t tr = (rows + tile_r - 1) // tile_r
    cdef Py_ssize_t tc = (cols + tile_c - 1) // tile_c
    cdef Py_ssize_t per_image = tr * tc
    cdef Py_ssize_t task, b, t, r0, c0
    for task in prange(n * per_image, schedule="static", num_threads=n_threads, nogil=True):
        b = task // per_image
        t = task - b * per_image
        r0 = (t // tc) * tile_r
        c0 = (t % tc) * tile_c
        _transpose_tile(src + b * rows * cols, dst + b * rows * cols, rows, cols,
                        r0, min(r0 + tile_r, rows), c0, min(c0 + tile_c, cols))


def transpose_last_two(const uint8_t[::1] src, uint8_t[::1] dst, Py_ssize_t n,
                       Py_ssize_t rows, Py_ssize_t cols, int itemsize, int n_threads):
    """Write ``src`` viewed as ``(n, rows, cols)`` items into ``dst`` as ``(n, cols, rows)``.

    ``src``/``dst`` are flat byte views of C-contiguous arrays of ``n * rows * cols`` items of
    ``itemsize`` bytes (1, 2, 4 or 8). ``n_threads`` is used as given (at least 1): whether a
    move is worth a team is the caller's decision (``convkit._threads.threads_for``).
    """
    cdef Py_ssize_t total = n * rows * cols
    if src.shape[0] != total * itemsize or dst.shape[0] != total * itemsize:
        raise ValueError("transpose_last_two: buffer sizes do not match n * rows * cols")
    if total == 0:
        return
    if n_threads < 1:
        n_threads = 1
    with nogil:
        if itemsize == 1:
            _transpose_batch(<const uint8_t*>&src[0], <uint8_t*>&dst[0], n, rows, cols,
                             n_threads)
        elif itemsize == 2:
            _transpose_batch(<const uint16_t*>&src[0], <uint16_t*>&dst[0], n, rows, cols,
                             n_threads)
        elif itemsize == 4:
            _transpose_batch(<const uint32_t*>&src[0], <uint32_t*>&dst[0], n, rows, cols,
                             n_threads)
        elif itemsize == 8:
            _transpose_batch(<const uint64_t*>&src[0], <uint64_t*>&dst[0], n, rows, cols,
                             n_threads)
        else:
            with gil:
                raise ValueError(f"transpose_last_two: unsupported itemsize {itemsize}")
