// Vector kernels: dot products (one pair, four rows, gathered rows), squared L2, scale, axpy.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_VECTOR_H
#define GK_VECTOR_H

#include "simd.h"

GK_INLINE float dot_impl(const float *a, const float *b, size_t count) {
    // Four independent accumulators hide the FMA latency.
    v16f s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 64 <= count; i += 64) {
        s0 += load16(a + i) * load16(b + i);
        s1 += load16(a + i + 16) * load16(b + i + 16);
        s2 += load16(a + i + 32) * load16(b + i + 32);
        s3 += load16(a + i + 48) * load16(b + i + 48);
    }
    for (; i + 16 <= count; i += 16) s0 += load16(a + i) * load16(b + i);
    float sum = sum16((s0 + s1) + (s2 + s3));
    for (; i < count; i++) sum += a[i] * b[i];
    return sum;
}

/// Dot products of four rows with one query, sharing the query loads.
GK_INLINE void dot4_impl(const float *r0, const float *r1, const float *r2, const float *r3,
                         const float *q, size_t count, float *out) {
    v16f s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        v16f x = load16(q + i);
        s0 += load16(r0 + i) * x;
        s1 += load16(r1 + i) * x;
        s2 += load16(r2 + i) * x;
        s3 += load16(r3 + i) * x;
    }
    float t0 = sum16(s0), t1 = sum16(s1), t2 = sum16(s2), t3 = sum16(s3);
    for (; i < count; i++) {
        t0 += r0[i] * q[i];
        t1 += r1[i] * q[i];
        t2 += r2[i] * q[i];
        t3 += r3[i] * q[i];
    }
    out[0] = t0;
    out[1] = t1;
    out[2] = t2;
    out[3] = t3;
}

/// Hints the caches to fetch the `bytes` starting at `p`, one line at a time.
GK_INLINE void prefetch_row(const float *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(c + offset, 0, 3);
}

GK_INLINE void dot_gather_impl(const float *rows, size_t dim, const int32_t *slots, size_t count,
                               const float *query, float *out) {
    size_t bytes = dim * sizeof(float);
    size_t ahead = count < 4 ? count : 4;
    for (size_t j = 0; j < ahead; j++) prefetch_row(rows + (size_t)slots[j] * dim, bytes);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        size_t next_end = i + 8 < count ? i + 8 : count;
        for (size_t j = i + 4; j < next_end; j++) prefetch_row(rows + (size_t)slots[j] * dim, bytes);
        dot4_impl(rows + (size_t)slots[i] * dim, rows + (size_t)slots[i + 1] * dim,
                  rows + (size_t)slots[i + 2] * dim, rows + (size_t)slots[i + 3] * dim, query, dim, out + i);
    }
    for (; i < count; i++) out[i] = dot_impl(rows + (size_t)slots[i] * dim, query, dim);
}

GK_INLINE float l2sq_impl(const float *a, const float *b, size_t count) {
    v16f s0 = 0, s1 = 0;
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        v16f d0 = load16(a + i) - load16(b + i);
        v16f d1 = load16(a + i + 16) - load16(b + i + 16);
        s0 += d0 * d0;
        s1 += d1 * d1;
    }
    for (; i + 16 <= count; i += 16) {
        v16f d = load16(a + i) - load16(b + i);
        s0 += d * d;
    }
    float sum = sum16(s0 + s1);
    for (; i < count; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

GK_INLINE void scale_impl(float *x, float alpha, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) store16(x + i, load16(x + i) * alpha);
    for (; i < count; i++) x[i] *= alpha;
}

GK_INLINE void axpy_impl(float alpha, const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) store16(y + i, load16(y + i) + load16(x + i) * alpha);
    for (; i < count; i++) y[i] += alpha * x[i];
}

#endif
