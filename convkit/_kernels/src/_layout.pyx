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
    # below this many bytes a parallel region costs more than it saves
    PARALLEL_MIN_BYTES = 1 << 18


cdef inline void _transpose_tile(const word_t *src, word_t *dst, Py_ssize_t rows,
                                 Py_ssize_t cols, Py_ssize_t r0, Py_ssize_t r1,
                                 Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    """dst[c, r] = src[r, c] for rows [r0, r1) and columns [c0, c1) of a rows x cols matrix."""
    cdef Py_ssize_t r, c
    for c in range(c0, c1):  # contiguous writes: each output row of the tile in one run
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
    ``itemsize`` bytes (1, 2, 4 or 8).
    """
    cdef Py_ssize_t total = n * rows * cols
    if src.shape[0] != total * itemsize or dst.shape[0] != total * itemsize:
        raise ValueError("transpose_last_two: buffer sizes do not match n * rows * cols")
    if total == 0:
        return
    if total * itemsize < PARALLEL_MIN_BYTES:
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
