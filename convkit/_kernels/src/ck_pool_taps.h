/* Max pooling routed by window offsets (_pool.pyx's max_pool_taps / max_pool_taps_grad).

   The backward pass of a max pooling layer needs, per output value, only where in its window
   the first maximum was. ck_pool.h records that as an int32 flat index into the image (the
   public argmax); here it is the tap's offset inside the window, ((td * kh) + th) * kw + tw
   for a window of at most 256 taps: one byte instead of four, so the forward writes and the
   backward reads a quarter of the routing traffic. The maxima themselves (``out``) are
   optional: ``Layer.backward(x, dy)`` needs only the routing.

   The same tap order, NaN rule and +0.0 for a miss as ck_pool.h's loops, so both routings
   give the same bits. */
#ifndef CONVKIT_CK_POOL_TAPS_H
#define CONVKIT_CK_POOL_TAPS_H

#include "ck_pool.h"

/* One output window: its taps inside the input (d0..w1, absolute input positions), its
   origin (the input position of tap (0, 0, 0), possibly negative under "same") and its
   extent (kh, kw: what an offset is counted in). */
typedef struct {
    Py_ssize_t d0, d1, h0, h1, w0, w1, bd, bh, bw, kh, kw;
} ck_pool_window;

/* One input pixel and the outputs whose windows cover it: od0..ow1 (absolute output
   positions), the strides and pads that place those windows, and the window extent. */
typedef struct {
    Py_ssize_t d, h, w, od0, od1, oh0, oh1, ow0, ow1, sd, sh, sw, pd, ph, pw, kh, kw;
} ck_pool_cover;

/* VL window offsets (bytes) widened to the lanes of a mask vector. GCC 12 compiles
   __builtin_convertvector from bytes to 32- or 64-bit lanes element by element (a load and an
   insert per lane: the gather ran 1.6-2.7x slower than with int32 flat indices), so the
   AVX-512 and AVX2 copies use the zero-extending moves directly. */
#if CK_VBYTES == 64 && defined(__AVX512F__)
#  include <immintrin.h>
#  define CK_POOL_WIDEN_F(p) \
    ((ck_vf_mask)_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))))
#  define CK_POOL_WIDEN_D(p) \
    ((ck_vd_mask)_mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#elif CK_VBYTES == 32 && defined(__AVX2__)
#  include <immintrin.h>
#  include <string.h>
static inline __m128i ck_pool_load4(const uint8_t *p) {
    int v;
    memcpy(&v, p, 4);
    return _mm_cvtsi32_si128(v);
}
#  define CK_POOL_WIDEN_F(p) \
    ((ck_vf_mask)_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#  define CK_POOL_WIDEN_D(p) ((ck_vd_mask)_mm256_cvtepu8_epi64(ck_pool_load4(p)))
#else
#  define CK_POOL_WIDEN_F(p) __builtin_convertvector(*(const ck_pool_u8f *)(p), ck_vf_mask)
#  define CK_POOL_WIDEN_D(p) __builtin_convertvector(*(const ck_pool_u8d *)(p), ck_vd_mask)
#endif

#define CK_POOL_OFFSET(wn, d, h, w) \
    ((((d) - (wn)->bd) * (wn)->kh + ((h) - (wn)->bh)) * (wn)->kw + ((w) - (wn)->bw))

#define CK_POOL_TAPS_SCALAR(S, T)                                                              \
/* channels [c0, chans) of one output pixel, one at a time */                                  \
static inline void ck_pool_maxt_tail_##S(const T *img, T *out, uint8_t *tap, Py_ssize_t c0,    \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, const ck_pool_window *wn) {        \
    Py_ssize_t c, d, h, w;                                                                     \
    for (c = c0; c < chans; c++) {                                                             \
        T m = img[((wn->d0 * h_in + wn->h0) * w_in + wn->w0) * chans + c];                     \
        Py_ssize_t a = CK_POOL_OFFSET(wn, wn->d0, wn->h0, wn->w0);                             \
        for (d = wn->d0; d < wn->d1; d++)                                                      \
            for (h = wn->h0; h < wn->h1; h++)                                                  \
                for (w = wn->w0; w < wn->w1; w++) {                                            \
                    T v = img[((d * h_in + h) * w_in + w) * chans + c];                        \
                    if (CK_POOL_TAKES(v, m)) { m = v; a = CK_POOL_OFFSET(wn, d, h, w); }       \
                }                                                                              \
        if (out) out[c] = m;                                                                   \
        tap[c] = (uint8_t)a;                                                                   \
    }                                                                                          \
}                                                                                              \
/* channels [c0, chans) of one input pixel's gradient, one at a time */                        \
static inline void ck_pool_gathert_tail_##S(const T *g, const uint8_t *tap, T *q,              \
        Py_ssize_t c0, Py_ssize_t chans, Py_ssize_t h_out, Py_ssize_t w_out,                   \
        const ck_pool_cover *cv) {                                                             \
    Py_ssize_t c, od, oh, ow, at, here;                                                        \
    for (c = c0; c < chans; c++) {                                                             \
        T acc = 0;                                                                             \
        for (od = cv->od0; od < cv->od1; od++)                                                 \
            for (oh = cv->oh0; oh < cv->oh1; oh++)                                             \
                for (ow = cv->ow0; ow < cv->ow1; ow++) {                                       \
                    here = ((cv->d - (od * cv->sd - cv->pd)) * cv->kh                          \
                            + (cv->h - (oh * cv->sh - cv->ph))) * cv->kw                       \
                           + (cv->w - (ow * cv->sw - cv->pw));                                 \
                    at = ((od * h_out + oh) * w_out + ow) * chans + c;                         \
                    acc = acc + (tap[at] == here ? g[at] : (T)0);                              \
                }                                                                              \
        q[c] = acc;                                                                            \
    }                                                                                          \
}

#define CK_POOL_TAPS_VECTOR(S, T, V, VU, M, MI, V8, WIDEN, VL)                                        \
/* NV (1..4) vectors of channels of one output pixel */                                        \
CK_POOL_INLINE void ck_pool_maxt_blk_##S(const T *img, T *out, uint8_t *tap, const int NV,     \
        Py_ssize_t chans, Py_ssize_t h_in, Py_ssize_t w_in, const ck_pool_window *wn) {        \
    Py_ssize_t d, h, w;                                                                        \
    const T *p = img + ((wn->d0 * h_in + wn->h0) * w_in + wn->w0) * chans;                     \
    V m[4];                                                                                    \
    M a[4];                                                                                    \
    int j;                                                                                     \
    for (j = 0; j < NV; j++) {                                                                 \
        m[j] = *(const VU *)(p + j * VL);                                                      \
        a[j] = (M){0} + (MI)CK_POOL_OFFSET(wn, wn->d0, wn->h0, wn->w0);                        \
    }                                                                                          \
    /* the first tap is visited again: it never replaces itself (equal, or NaN over NaN) */    \
    for (d = wn->d0; d < wn->d1; d++)                                                          \
        for (h = wn->h0; h < wn->h1; h++)                                                      \
            for (w = wn->w0; w < wn->w1; w++) {                                                \
                M at = (M){0} + (MI)CK_POOL_OFFSET(wn, d, h, w);                               \
                p = img + ((d * h_in + h) * w_in + w) * chans;                                 \
                for (j = 0; j < NV; j++) {                                                     \
                    V v = *(const VU *)(p + j * VL);                                           \
                    M take = (v > m[j]) | ((v != v) & (m[j] == m[j]));                         \
                    m[j] = (V)(((M)v & take) | ((M)m[j] & ~take));                             \
                    a[j] = (at & take) | (a[j] & ~take);                                       \
                }                                                                              \
            }                                                                                  \
    for (j = 0; j < NV; j++) {                                                                 \
        if (out) *(VU *)(out + j * VL) = m[j];                                                 \
        *(V8 *)(tap + j * VL) = __builtin_convertvector(a[j], V8);                             \
    }                                                                                          \
}                                                                                              \
/* NV vectors of channels of one input pixel's gradient */                                     \
CK_POOL_INLINE void ck_pool_gathert_blk_##S(const T *g, const uint8_t *tap, T *q,              \
        const int NV, Py_ssize_t chans, Py_ssize_t h_out, Py_ssize_t w_out,                    \
        const ck_pool_cover *cv) {                                                             \
    Py_ssize_t od, oh, ow, at;                                                                 \
    V acc[4];                                                                                  \
    int j;                                                                                     \
    for (j = 0; j < NV; j++) acc[j] = (V){0};                                                  \
    for (od = cv->od0; od < cv->od1; od++)                                                     \
        for (oh = cv->oh0; oh < cv->oh1; oh++)                                                \
            for (ow = cv->ow0; ow < cv->ow1; ow++) {                                           \
                M here = (M){0} + (MI)(((cv->d - (od * cv->sd - cv->pd)) * cv->kh              \
                                       + (cv->h - (oh * cv->sh - cv->ph))) * cv->kw            \
                                      + (cv->w - (ow * cv->sw - cv->pw)));                     \
                at = ((od * h_out + oh) * w_out + ow) * chans;                                 \
                for (j = 0; j < NV; j++) {                                                     \
                    V gv = *(const VU *)(g + at + j * VL);                                     \
                    M hit = WIDEN(tap + at + j * VL) == here;                                  \
                    acc[j] = acc[j] + (V)((M)gv & hit); /* +0.0 elsewhere, as the scalar 0 */  \
                }                                                                              \
            }                                                                                  \
    for (j = 0; j < NV; j++) *(VU *)(q + j * VL) = acc[j];                                     \
}

#define CK_POOL_TAPS_PIXEL(S, T, VL)                                                           \
static void ck_pool_maxt_##S(const T *img, T *out, uint8_t *tap, Py_ssize_t chans,             \
        Py_ssize_t h_in, Py_ssize_t w_in, const ck_pool_window *wn) {                          \
    Py_ssize_t c = 0;                                                                          \
    if (CK_POOL_VEC) {                                                                         \
        for (; c + 4 * VL <= chans; c += 4 * VL)                                               \
            ck_pool_maxt_blk_##S(img + c, out ? out + c : NULL, tap + c, 4, chans, h_in, w_in, \
                                 wn);                                                          \
        for (; c + VL <= chans; c += VL)                                                       \
            ck_pool_maxt_blk_##S(img + c, out ? out + c : NULL, tap + c, 1, chans, h_in, w_in, \
                                 wn);                                                          \
    }                                                                                          \
    if (c < chans)                                                                             \
        ck_pool_maxt_tail_##S(img, out, tap, c, chans, h_in, w_in, wn);                        \
}                                                                                              \
static void ck_pool_gathert_##S(const T *g, const uint8_t *tap, T *q, Py_ssize_t chans,        \
        Py_ssize_t h_out, Py_ssize_t w_out, const ck_pool_cover *cv) {                         \
    Py_ssize_t c = 0;                                                                          \
    if (CK_POOL_VEC) {                                                                         \
        for (; c + 4 * VL <= chans; c += 4 * VL)                                               \
            ck_pool_gathert_blk_##S(g + c, tap + c, q + c, 4, chans, h_out, w_out, cv);        \
        for (; c + VL <= chans; c += VL)                                                       \
            ck_pool_gathert_blk_##S(g + c, tap + c, q + c, 1, chans, h_out, w_out, cv);        \
    }                                                                                          \
    if (c < chans)                                                                             \
        ck_pool_gathert_tail_##S(g, tap, q, c, chans, h_out, w_out, cv);                       \
}

CK_POOL_TAPS_SCALAR(f, float)
CK_POOL_TAPS_SCALAR(d, double)
#if CK_POOL_VEC
typedef uint8_t ck_pool_u8f __attribute__((vector_size(CK_VL_F), aligned(1), may_alias));
typedef uint8_t ck_pool_u8d __attribute__((vector_size(CK_VL_D), aligned(1), may_alias));
CK_POOL_TAPS_VECTOR(f, float, ck_vf, ck_vf_u, ck_vf_mask, int, ck_pool_u8f, CK_POOL_WIDEN_F,
                    CK_VL_F)
CK_POOL_TAPS_VECTOR(d, double, ck_vd, ck_vd_u, ck_vd_mask, long long, ck_pool_u8d,
                    CK_POOL_WIDEN_D, CK_VL_D)
#else
#define ck_pool_maxt_blk_f(...) ((void)0)
#define ck_pool_maxt_blk_d(...) ((void)0)
#define ck_pool_gathert_blk_f(...) ((void)0)
#define ck_pool_gathert_blk_d(...) ((void)0)
#endif
CK_POOL_TAPS_PIXEL(f, float, CK_VL_F)
CK_POOL_TAPS_PIXEL(d, double, CK_VL_D)

#endif /* CONVKIT_CK_POOL_TAPS_H */
