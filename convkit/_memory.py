"""How the C allocator returns freed memory to the system, set once when convkit is imported.

A training step allocates many activation-sized arrays (outputs, saved intermediates,
gradients) and frees them all at the end. glibc's default then gives the freed top of the heap
back to the kernel (it trims once more than 2x the last large block is free there), and the
next step faults every page in again, zeroed: 4,400 page faults and about a third of the
autoencoder benchmark's step (b64 64x64, four layers: 65 -> 45 ms on 2 threads). Keeping up to
``TRIM_BYTES`` of freed heap, and serving blocks up to ``MMAP_BYTES`` from the heap (glibc's
own upper bound for its adaptive threshold, fixed from the start instead of learned), removes
those faults; blocks above it are still mapped and unmapped as before.

This is process-wide: it applies to every allocation in the process, NumPy's included, and
holds at most ``TRIM_BYTES`` of freed memory that would otherwise go back to the system.
``CONVKIT_MALLOC_TUNING=0`` in the environment leaves the allocator as it is. Only glibc has
these settings; elsewhere nothing is done.
"""

import ctypes
import os

MMAP_BYTES = 32 << 20   # blocks up to this size come from the heap (glibc's adaptive maximum)
TRIM_BYTES = 128 << 20  # freed heap kept before trimming

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_applied = None


def _glibc():
    """The C library if it is glibc, else None."""
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    return libc if version() else None


def tune_malloc() -> None:
    """Apply the settings above once (see the module docstring); a no-op when
    ``CONVKIT_MALLOC_TUNING=0``, off glibc, or if glibc refuses them."""
    global _applied
    if _applied is not None or os.environ.get("CONVKIT_MALLOC_TUNING", "1").strip() == "0":
        return
    libc = _glibc()
    if libc is None:
        return
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    if libc.mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES) and libc.mallopt(_M_TRIM_THRESHOLD,
                                                                     TRIM_BYTES):
        _applied = {"mmap_threshold": MMAP_BYTES, "trim_threshold": TRIM_BYTES}


def malloc_tuning():
    """The allocator settings convkit applied, as a dict, or None if it applied none."""
    return None if _applied is None else dict(_applied)
