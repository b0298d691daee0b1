# cython: language_level=3
"""The adjoints of the upsampling kernels in ``_resample`` (docs/design/kernels.md §7), used by
``ops.resample.upsample_gradient``. Arrays as in ``_resample``: C-contiguous 5-D
``(N, D, H, W, C)`` blocks, float32 or float64. Each output pixel is owned by one task, and its
sum is taken in an order fixed by the shapes alone, so any thread count gives the same bits.

``upsample_nearest_sum(src, dst, size_d, size_h, size_w, n_threads)``
    The adjoint of ``upsample_nearest``: each ``dst`` pixel is the sum of its
    ``size_d * size_h * size_w`` block of ``src`` (tasks are ``dst`` rows).

``resample_gather(src, dst, start_d, weight_d, start_h, weight_h, start_w, weight_w,
n_threads)``
    ``_resample.resample``'s sum for tap tables of any output length (no factor, no periodic
    range; pixel by pixel only). Over the transposed tables of an upsampling it is that
    upsampling's adjoint, as a gather: no atomics.
"""

include "_resample_rows.pxi"
include "_resample_taps.pxi"


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

