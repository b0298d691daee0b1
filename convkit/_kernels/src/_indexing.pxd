# cython: language_level=3
"""Index arithmetic shared by the kernel modules: tap ranges, interior ranges, task decoding,
thread clamping.

Header-only: small ``cdef inline ... noexcept nogil`` functions that a kernel module cimports
(``from ._indexing cimport tap_range``) and the C compiler inlines; there is no ``_indexing``
module at run time. ``setup.py`` copies this file next to every per-ISA copy of the kernels.

Every division here has non-negative operands: release builds use C division
(``cdivision=True``), bounds-checked builds Python's floor division, and the two agree only
there (``docs/design/kernels.md`` §1).
"""


cdef inline Py_ssize_t clamp(Py_ssize_t v, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """``v`` limited to ``[lo, hi]`` (``lo <= hi``)."""
    return lo if v < lo else (hi if v > hi else v)


cdef inline int clamp_threads(int n_threads, Py_ssize_t n_tasks) noexcept nogil:
    """Threads for a parallel loop of ``n_tasks`` tasks: at most one per task, at least 1.

    Whether a call deserves a team at all is decided by the ops (``convkit._threads
    .threads_for``); kernels only make sure no thread is started without a task.
    """
    if n_threads > n_tasks:
        n_threads = <int>n_tasks
    return n_threads if n_threads > 1 else 1


cdef inline void tap_range(Py_ssize_t base, Py_ssize_t d, Py_ssize_t n, Py_ssize_t k,
                           Py_ssize_t *t0, Py_ssize_t *t1) noexcept nogil:
    """Taps ``t`` in ``[t0, t1)`` with ``0 <= base + t*d < n``, ``0 <= t < k``.

    ``base`` is the input position of tap 0 (``o*s - pad_before`` for output ``o``), ``d``
    the dilation (>= 1). The taps inside the input are always one contiguous range; an empty
    one comes back as ``[0, 0)``.
    """
    cdef Py_ssize_t lo = 0, hi, lim = n - 1 - base
    if base < 0:
        lo = (-base + d - 1) // d
    hi = 0 if lim < 0 else lim // d + 1
    if hi > k:
        hi = k
    if lo >= hi:
        lo = 0
        hi = 0
    t0[0] = lo
    t1[0] = hi


cdef inline void interior_range(Py_ssize_t n_out, Py_ssize_t n, Py_ssize_t k, Py_ssize_t s,
                                Py_ssize_t d, Py_ssize_t p, Py_ssize_t *lo,
                                Py_ssize_t *hi) noexcept nogil:
    """Outputs ``o`` in ``[lo, hi)`` (within ``[0, n_out)``) whose ``k`` taps all lie inside
    an input of length ``n``: ``o*s - p >= 0`` and ``o*s - p + (k - 1)*d <= n - 1``.

    ``s``, ``d`` >= 1; ``p`` (padding before) may be negative. ``lo <= hi`` always, so the
    outputs before ``lo`` and from ``hi`` on are the border ones.
    """
    cdef Py_ssize_t first = 0, last, room = n - 1 - (k - 1) * d + p
    if p > 0:
        first = (p + s - 1) // s
    last = room // s + 1 if room >= 0 else 0
    if first > n_out:
        first = n_out
    if last > n_out:
        last = n_out
    if last < first:
        last = first
    lo[0] = first
    hi[0] = last


cdef inline Py_ssize_t split_index(Py_ssize_t index, Py_ssize_t inner,
                                   Py_ssize_t *outer) noexcept nogil:
    """Decode a flat index over ``(outer, inner)``: returns ``index % inner``, sets
    ``outer[0] = index // inner`` (``index >= 0``, ``inner >= 1``).

    Not for the body of a ``prange``: Cython makes a variable thread-private only when the
    body assigns it, not when it passes its address. Use :func:`row_task` there.
    """
    cdef Py_ssize_t q = index // inner
    outer[0] = q
    return index - q * inner


cdef struct RowTask:
    Py_ssize_t row          # flat output row over (N, n_d, n_h)
    Py_ssize_t n, d, h      # the row's image and (d, h) position
    Py_ssize_t chunk        # which piece of the row, in [0, nchunks)


cdef inline RowTask row_task(Py_ssize_t task, Py_ssize_t nchunks, Py_ssize_t n_d,
                             Py_ssize_t n_h) noexcept nogil:
    """Decode task ``task`` of a loop over ``(N, n_d, n_h, nchunks)``: rows of an image cut
    into ``nchunks`` pieces each (the task order of ``_depthwise`` and ``_resample``).

    Returned by value, so ``t = row_task(...)`` in a ``prange`` body is a private variable.
    """
    cdef RowTask t
    cdef Py_ssize_t plane
    t.chunk = split_index(task, nchunks, &t.row)
    t.h = split_index(t.row, n_h, &plane)
    t.d = split_index(plane, n_d, &t.n)
    return t
