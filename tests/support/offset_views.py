"""Copies of an array at every start offset from a 64-byte boundary (tests of the kernels'
alignment paths and of their array edges)."""

import numpy as np


def ending_views(a):
    """Copies of ``a`` that end on their allocation's last byte, one per start offset (in
    items) from a 64-byte boundary, whatever the allocator's alignment."""
    a = np.ascontiguousarray(a)
    for lead in range(64 // a.itemsize):
        buf = np.empty(a.size + lead, a.dtype)
        view = buf[lead:].reshape(a.shape)
        view[...] = a
        yield view
