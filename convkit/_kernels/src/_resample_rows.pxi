# Included by the resampling kernel modules (_resample, _resample_grad): streaming stores and
# the split of a loop over rows into static tasks. Text, not a module: each module that includes
# it gets its own copy of these inline helpers (docs/design/kernels.md §7).

from libc.stdint cimport uint8_t

from ._indexing cimport clamp_threads

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
