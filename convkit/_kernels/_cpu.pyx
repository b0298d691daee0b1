# cython: language_level=3
"""CPU features and OpenMP facts, compiled for the baseline ISA only.

This module must import on any x86-64, so it is never built with wide-ISA flags: it is what
decides which kernel variant is safe to import.
"""

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define CONVKIT_OPENMP 1
    #else
    #define CONVKIT_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    #endif
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    /* gcc >= 12 knows the psABI level names: exactly the -march levels the variants use. */
    static int convkit_cpu_has(const char *f) {
        __builtin_cpu_init();
        if (f[3] == '5') return __builtin_cpu_supports("x86-64-v4");
        if (f[3] == '2') return __builtin_cpu_supports("x86-64-v3");
        return 0;
    }
    #define CONVKIT_X86 1
    #else
    static int convkit_cpu_has(const char *f) { (void)f; return 0; }
    #define CONVKIT_X86 0
    #endif
    """
    int CONVKIT_OPENMP
    int CONVKIT_X86
    int omp_get_max_threads() nogil
    int convkit_cpu_has(const char *feature) nogil


def openmp_enabled():
    """Whether the kernels were compiled with OpenMP."""
    return bool(CONVKIT_OPENMP)


def openmp_max_threads():
    """``omp_get_max_threads()``: 1 in a serial build."""
    return int(omp_get_max_threads())


def supports(variant):
    """Whether this CPU can run the kernels of ISA ``variant`` ('avx512', 'avx2' or 'base').

    'avx512' means the x86-64-v4 level (AVX-512 F/BW/CD/DQ/VL), 'avx2' the x86-64-v3 level.
    """
    if variant == "base":
        return True
    if variant not in ("avx512", "avx2"):
        raise ValueError(f"unknown ISA variant {variant!r}")
    cdef bytes name = variant.encode()
    return bool(convkit_cpu_has(name))
