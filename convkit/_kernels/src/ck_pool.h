/* Pooling's per-pixel inner loops (_pool.pyx), in C with ck_simd.h's vector types.

   Included by _pool.pyx only; every function is static. */
#ifndef CONVKIT_CK_POOL_H
#define CONVKIT_CK_POOL_H

#include "ck_simd.h"

/* The per-pixel inner loops, in C with ck_simd.h's vector types: a window's running max
   (and its argmax) or a gradient sum stays in vector registers over the taps and is
   stored once. The same loops written in Cython over small arrays compiled to scalar,
   branchy code (a compare and a jump per value) -- several times slower.

   Channels go in blocks of 4 vectors, then single vectors, then one at a time; every
   channel sees its taps in the same order whichever path it takes, so the bits do not
   depend on the ISA copy or the block a channel falls in. */
#include <stdint.h>
#if defined(__GNUC__) || defined(__clang__)
#  define CK_POOL_VEC 1
#  define CK_POOL_INLINE static inline __attribute__((always_inline))
typedef int32_t ck_pool_i32f __attribute__((vector_size(CK_VL_F * 4), aligned(4), may_alias));
typedef int32_t ck_pool_i32d __attribute__((vector_size(CK_VL_D * 4), aligned(4), may_alias));
#else
#  define CK_POOL_VEC 0
#  define CK_POOL_INLINE static inline
#endif

/* "v replaces the running max m": strictly larger (the first maximum stays), or NaN over
   a number (NaN propagates, as lax.max). */
#define CK_POOL_TAKES(v, m) ((v) > (m) || ((v) != (v) && (m) == (m)))

#define CK_POOL_SCALAR(S, T)                                                               \
/* channels [c0, chans) of one output pixel, one at a time */                             \
static inline void ck_pool_max_tail_##S(const T *img, T *out, int32_t *arg, Py_ssize_t c0, \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, \
        Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1) {                     \
    Py_ssize_t c, d, h, w, flat, first = (d0 * h_in + h0) * w_in + w0;                     \
    for (c = c0; c < chans; c++) {                                                        \
        T m = img[first * chans + c];                                                     \
        int32_t a = (int32_t)first;                                                       \
        for (d = d0; d < d1; d++)                                                         \
            for (h = h0; h < h1; h++)                                                     \
                for (w = w0; w < w1; w++) {                                               \
                    T v;                                                                  \
                    flat = (d * h_in + h) * w_in + w;                                     \
                    v = img[flat * chans + c];                                            \
                    if (CK_POOL_TAKES(v, m)) { m = v; a = (int32_t)flat; }                \
                }                                                                         \
        out[c] = m;                                                                       \
        if (arg) arg[c] = a;                                                              \
    }                                                                                     \
}                                                                                         \
/* channels [c0, chans) of one output pixel's mean, one at a time */                      \
static inline void ck_pool_avg_tail_##S(const T *img, T *out, Py_ssize_t c0,               \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, \
        Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1, T count) {            \
    Py_ssize_t c, d, h, w;                                                                \
    for (c = c0; c < chans; c++) {                                                        \
        T acc = 0;                                                                        \
        for (d = d0; d < d1; d++)                                                         \
            for (h = h0; h < h1; h++)                                                     \
                for (w = w0; w < w1; w++)                                                 \
                    acc = acc + img[((d * h_in + h) * w_in + w) * chans + c];             \
        out[c] = acc / count;                                                             \
    }                                                                                     \
}                                                                                         \
/* channels [c0, chans) of one input pixel's gradient, one at a time */                   \
static inline void ck_pool_gather_tail_##S(const T *g, const int32_t *arg, T *q,           \
        Py_ssize_t c0, Py_ssize_t chans, int32_t flat, Py_ssize_t h_out, Py_ssize_t w_out, \
        Py_ssize_t od0, Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1, Py_ssize_t ow0,   \
        Py_ssize_t ow1) {                                                                 \
    Py_ssize_t c, od, oh, ow, at;                                                         \
    for (c = c0; c < chans; c++) {                                                        \
        T acc = 0;                                                                        \
        for (od = od0; od < od1; od++)                                                    \
            for (oh = oh0; oh < oh1; oh++)                                                \
                for (ow = ow0; ow < ow1; ow++) {                                          \
                    at = ((od * h_out + oh) * w_out + ow) * chans + c;                    \
                    acc = acc + ((arg == NULL || arg[at] == flat) ? g[at] : (T)0);        \
                }                                                                         \
        q[c] = acc;                                                                       \
    }                                                                                     \
}

#define CK_POOL_VECTOR(S, T, V, VU, M, MI, VI, VL)                                         \
/* NV (1..4) vectors of channels of one output pixel */                                   \
CK_POOL_INLINE void ck_pool_max_blk_##S(const T *img, T *out, int32_t *arg, const int NV, \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, \
        Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1) {                     \
    Py_ssize_t d, h, w, flat, first = (d0 * h_in + h0) * w_in + w0;                        \
    const T *p = img + first * chans;                                                     \
    V m[4];                                                                               \
    M a[4];                                                                               \
    int j;                                                                                \
    for (j = 0; j < NV; j++) {                                                            \
        m[j] = *(const VU *)(p + j * VL);                                                 \
        a[j] = (M){0} + (MI)first;                                                        \
    }                                                                                     \
    /* the first tap is visited again: it never replaces itself (equal, or NaN over NaN) */\
    for (d = d0; d < d1; d++)                                                             \
        for (h = h0; h < h1; h++)                                                         \
            for (w = w0; w < w1; w++) {                                                   \
                M at_flat;                                                                \
                flat = (d * h_in + h) * w_in + w;                                         \
                p = img + flat * chans;                                                   \
                at_flat = (M){0} + (MI)flat;                                              \
                for (j = 0; j < NV; j++) {                                                \
                    V v = *(const VU *)(p + j * VL);                                      \
                    M take = (v > m[j]) | ((v != v) & (m[j] == m[j]));                    \
                    m[j] = (V)(((M)v & take) | ((M)m[j] & ~take));                        \
                    if (arg) a[j] = (at_flat & take) | (a[j] & ~take);                    \
                }                                                                         \
            }                                                                             \
    for (j = 0; j < NV; j++) {                                                            \
        *(VU *)(out + j * VL) = m[j];                                                     \
        if (arg) *(VI *)(arg + j * VL) = __builtin_convertvector(a[j], VI);               \
    }                                                                                     \
}                                                                                         \
/* NV vectors of channels of one output pixel's mean: the window sum, then the division */\
CK_POOL_INLINE void ck_pool_avg_blk_##S(const T *img, T *out, const int NV,                \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, \
        Py_ssize_t h0, Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1, T count) {            \
    Py_ssize_t d, h, w;                                                                   \
    V acc[4];                                                                             \
    int j;                                                                                \
    for (j = 0; j < NV; j++) acc[j] = (V){0};                                             \
    for (d = d0; d < d1; d++)                                                             \
        for (h = h0; h < h1; h++)                                                         \
            for (w = w0; w < w1; w++) {                                                   \
                const T *p = img + ((d * h_in + h) * w_in + w) * chans;                   \
                for (j = 0; j < NV; j++) acc[j] = acc[j] + *(const VU *)(p + j * VL);     \
            }                                                                             \
    for (j = 0; j < NV; j++) *(VU *)(out + j * VL) = acc[j] / count;                      \
}                                                                                         \
/* NV vectors of channels of one input pixel's gradient */                                \
CK_POOL_INLINE void ck_pool_gather_blk_##S(const T *g, const int32_t *arg, T *q,           \
        const int NV, Py_ssize_t chans, int32_t flat, Py_ssize_t h_out, Py_ssize_t w_out,  \
        Py_ssize_t od0, Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1, Py_ssize_t ow0,   \
        Py_ssize_t ow1) {                                                                 \
    Py_ssize_t od, oh, ow, at;                                                            \
    M here = (M){0} + (MI)flat;                                                           \
    V acc[4];                                                                             \
    int j;                                                                                \
    for (j = 0; j < NV; j++) acc[j] = (V){0};                                             \
    for (od = od0; od < od1; od++)                                                        \
        for (oh = oh0; oh < oh1; oh++)                                                    \
            for (ow = ow0; ow < ow1; ow++) {                                              \
                at = ((od * h_out + oh) * w_out + ow) * chans;                            \
                for (j = 0; j < NV; j++) {                                                \
                    V gv = *(const VU *)(g + at + j * VL);                                \
                    if (arg) {                                                            \
                        M hit = __builtin_convertvector(*(const VI *)(arg + at + j * VL), \
                                                        M) == here;                       \
                        gv = (V)((M)gv & hit); /* +0.0 elsewhere, as the scalar 0 */      \
                    }                                                                     \
                    acc[j] = acc[j] + gv;                                                 \
                }                                                                         \
            }                                                                             \
    for (j = 0; j < NV; j++) *(VU *)(q + j * VL) = acc[j];                                \
}

#define CK_POOL_PIXEL(S, T, VL)                                                            \
static void ck_pool_max_##S(const T *img, T *out, int32_t *arg, Py_ssize_t chans,          \
        Py_ssize_t h_in, Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, Py_ssize_t h0,    \
        Py_ssize_t h1, Py_ssize_t w0, Py_ssize_t w1) {                                    \
    Py_ssize_t c = 0;                                                                     \
    if (CK_POOL_VEC) {                                                                    \
        for (; c + 4 * VL <= chans; c += 4 * VL)                                          \
            ck_pool_max_blk_##S(img + c, out + c, arg ? arg + c : NULL, 4, chans, h_in,    \
                                w_in, d0, d1, h0, h1, w0, w1);                            \
        for (; c + VL <= chans; c += VL)                                                  \
            ck_pool_max_blk_##S(img + c, out + c, arg ? arg + c : NULL, 1, chans, h_in,    \
                                w_in, d0, d1, h0, h1, w0, w1);                            \
    }                                                                                     \
    if (c < chans)                                                                        \
        ck_pool_max_tail_##S(img, out, arg, c, chans, h_in, w_in, d0, d1, h0, h1, w0, w1); \
}                                                                                         \
static void ck_pool_avg_##S(const T *img, T *out, Py_ssize_t chans, Py_ssize_t h_in,      \
        Py_ssize_t w_in, Py_ssize_t d0, Py_ssize_t d1, Py_ssize_t h0, Py_ssize_t h1,      \
        Py_ssize_t w0, Py_ssize_t w1) {                                                   \
    Py_ssize_t c = 0;                                                                     \
    T count = (T)((d1 - d0) * (h1 - h0) * (w1 - w0));                                     \
    if (CK_POOL_VEC) {                                                                    \
        for (; c + 4 * VL <= chans; c += 4 * VL)                                          \
            ck_pool_avg_blk_##S(img + c, out + c, 4, chans, h_in, w_in, d0, d1, h0, h1,   \
                                w0, w1, count);                                           \
        for (; c + VL <= chans; c += VL)                                                  \
            ck_pool_avg_blk_##S(img + c, out + c, 1, chans, h_in, w_in, d0, d1, h0, h1,   \
                                w0, w1, count);                                           \
    }                                                                                     \
    if (c < chans)                                                                        \
        ck_pool_avg_tail_##S(img, out, c, chans, h_in, w_in, d0, d1, h0, h1, w0, w1,      \
                             count);                                                      \
}                                                                                         \
static void ck_pool_gather_##S(const T *g, const int32_t *arg, T *q, int32_t flat,         \
        Py_ssize_t chans, Py_ssize_t h_out, Py_ssize_t w_out, Py_ssize_t od0,             \
        Py_ssize_t od1, Py_ssize_t oh0, Py_ssize_t oh1, Py_ssize_t ow0, Py_ssize_t ow1) { \
    Py_ssize_t c = 0;                                                                     \
    if (CK_POOL_VEC) {                                                                    \
        for (; c + 4 * VL <= chans; c += 4 * VL)                                          \
            ck_pool_gather_blk_##S(g + c, arg ? arg + c : NULL, q + c, 4, chans, flat,     \
                                   h_out, w_out, od0, od1, oh0, oh1, ow0, ow1);            \
        for (; c + VL <= chans; c += VL)                                                  \
            ck_pool_gather_blk_##S(g + c, arg ? arg + c : NULL, q + c, 1, chans, flat,     \
                                   h_out, w_out, od0, od1, oh0, oh1, ow0, ow1);            \
    }                                                                                     \
    if (c < chans)                                                                        \
        ck_pool_gather_tail_##S(g, arg, q, c, chans, flat, h_out, w_out, od0, od1, oh0,    \
                                oh1, ow0, ow1);                                           \
}

CK_POOL_SCALAR(f, float)
CK_POOL_SCALAR(d, double)
#if CK_POOL_VEC
CK_POOL_VECTOR(f, float, ck_vf, ck_vf_u, ck_vf_mask, int, ck_pool_i32f, CK_VL_F)
CK_POOL_VECTOR(d, double, ck_vd, ck_vd_u, ck_vd_mask, long long, ck_pool_i32d, CK_VL_D)
#else
/* no vector extensions: the block paths are never taken (CK_POOL_VEC is 0) */
#define ck_pool_max_blk_f(...) ((void)0)
#define ck_pool_max_blk_d(...) ((void)0)
#define ck_pool_avg_blk_f(...) ((void)0)
#define ck_pool_avg_blk_d(...) ((void)0)
#define ck_pool_gather_blk_f(...) ((void)0)
#define ck_pool_gather_blk_d(...) ((void)0)
#endif
CK_POOL_PIXEL(f, float, CK_VL_F)
CK_POOL_PIXEL(d, double, CK_VL_D)

#endif /* CONVKIT_CK_POOL_H */
