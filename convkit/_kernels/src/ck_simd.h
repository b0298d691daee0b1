/* SIMD vector types shared by the compute kernels (_conv, _depthwise).

   The register tiles are written in C with GCC/clang vector extensions: accumulators declared
   as named vector values stay in registers. Written as scalar loops over acc[WB][KB] (C or
   Cython), gcc -O3 kept accumulators on the stack -- with AVX2 a store per FMA (38 vs 110
   GFLOP/CPU-s), and around short reductions a stack round trip per tile (~20 % of the
   separable pointwise tile). Other compilers get one-element "vectors": the same loops,
   scalar.

   CK_VBYTES is the vector width of the ISA this copy is compiled for (every kernel module is
   built once per ISA variant by setup.py). */
#ifndef CONVKIT_CK_SIMD_H
#define CONVKIT_CK_SIMD_H

#include <stddef.h>

#if defined(__AVX512F__)
#  define CK_VBYTES 64
#elif defined(__AVX__)
#  define CK_VBYTES 32
#else
#  define CK_VBYTES 16
#endif

#if defined(__GNUC__) || defined(__clang__)
typedef float ck_vf __attribute__((vector_size(CK_VBYTES)));
typedef float ck_vf_u __attribute__((vector_size(CK_VBYTES), aligned(4), may_alias));
typedef double ck_vd __attribute__((vector_size(CK_VBYTES)));
typedef double ck_vd_u __attribute__((vector_size(CK_VBYTES), aligned(8), may_alias));
typedef int ck_vf_mask __attribute__((vector_size(CK_VBYTES)));
typedef long long ck_vd_mask __attribute__((vector_size(CK_VBYTES)));
#  define CK_VL_F (CK_VBYTES / 4)
#  define CK_VL_D (CK_VBYTES / 8)
#  define CK_ZERO_F ((ck_vf){0})
#  define CK_ZERO_D ((ck_vd){0})
#  define CK_UNROLL _Pragma("GCC unroll 16")
/* relu as "clear the lanes below zero": NaN and -0.0 pass unchanged, as the scalar
   "0 if v < 0 else v" */
static inline ck_vf ck_relu_f(ck_vf v) { return (ck_vf)((ck_vf_mask)v & ~(v < CK_ZERO_F)); }
static inline ck_vd ck_relu_d(ck_vd v) { return (ck_vd)((ck_vd_mask)v & ~(v < CK_ZERO_D)); }
#else
typedef float ck_vf;
typedef float ck_vf_u;
typedef double ck_vd;
typedef double ck_vd_u;
#  define CK_VL_F 1
#  define CK_VL_D 1
#  define CK_ZERO_F 0.0f
#  define CK_ZERO_D 0.0
#  define CK_UNROLL
static inline float ck_relu_f(float v) { return v < 0 ? 0.0f : v; }
static inline double ck_relu_d(double v) { return v < 0 ? 0.0 : v; }
#endif

/* Ask for the lines a tile is about to store, with write intent, while its FMAs run: outputs
   are written once and not read first, so without this each store waits for its line. */
static inline void ck_prefetch_store(const void *p, ptrdiff_t nbytes) {
#if defined(__GNUC__) || defined(__clang__)
    const char *c = (const char *)p;
    ptrdiff_t l;
    for (l = 0; l < nbytes; l += 64) __builtin_prefetch(c + l, 1, 3);
#endif
}

#endif /* CONVKIT_CK_SIMD_H */
