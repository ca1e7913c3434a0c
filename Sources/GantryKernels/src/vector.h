// Vector kernels: dot products (one pair, four rows, gathered rows in fp32 or fp16), squared L2,
// scale, axpy, and the fp16 encoding of a row.
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
GK_INLINE void prefetch_row(const void *p, size_t bytes) {
    const char *c = (const char *)p;
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(c + offset, 0, 3);
}

// MARK: fp16 rows (IEEE binary16, as bits)
//
// Decoding converts through _Float16 (one vcvtph2ps per 8 or 16 values on the AVX2 and
// AVX-512 variants, whose targets include F16C; a library call on the generic one). Encoding,
// done once per stored row, works on the bit patterns so every variant vectorizes it: the
// magnitude scaled by 2^-112 puts a half's exponent and mantissa (subnormals included) in the
// float's low bits, rounded to nearest even. Inputs to the encoder lie in [-1, 1] (rows are
// divided by their largest magnitude first), so there is no overflow, infinity or NaN.

typedef _Float16 v16h __attribute__((ext_vector_type(16)));
typedef unsigned short v16u16 __attribute__((ext_vector_type(16)));
typedef unsigned int v16u __attribute__((ext_vector_type(16)));

GK_INLINE v16f load16_half(const uint16_t *p) {
    v16h h;
    memcpy(&h, p, sizeof h);
    return __builtin_convertvector(h, v16f);
}

GK_INLINE float half_to_float(uint16_t bits) {
    _Float16 h;
    memcpy(&h, &bits, sizeof h);
    return (float)h;
}

GK_INLINE v16u16 encode16_half(v16f x) {
    v16u bits = (v16u)x;
    v16u sign = (bits >> 16) & 0x8000u;
    v16f scaled = (v16f)(bits & 0x7fffffffu) * 0x1p-112f;
    v16u s = (v16u)scaled;
    v16u rounded = (s + 0xfffu + ((s >> 13) & 1u)) >> 13;
    return __builtin_convertvector(rounded | sign, v16u16);
}

/// Writes x / max|x| as halves to `out` and returns max|x| (0 for a zero row, whose halves are 0).
GK_INLINE float half_row_impl(const float *x, size_t count, uint16_t *out) {
    float largest = 0;
    for (size_t i = 0; i < count; i++) {
        float a = x[i] < 0 ? -x[i] : x[i];
        if (a > largest) largest = a;
    }
    float inverse = largest > 0 ? 1 / largest : 0;
    for (size_t i = 0; i < count; i += 16) {
        size_t n = count - i < 16 ? count - i : 16;  // the last block through a zero-padded copy
        v16f block = 0;
        memcpy(&block, x + i, n * sizeof(float));
        v16u16 h = encode16_half(block * inverse);
        memcpy(out + i, &h, n * sizeof(uint16_t));
    }
    return largest;
}

// MARK: gathered rows, fp32 or fp16
//
// One body for both row types: `half` is a constant at every call, so each instantiation
// keeps only its own loads.

GK_INLINE const void *row_at(const void *rows, int32_t slot, size_t dim, bool half) {
    return half ? (const void *)((const uint16_t *)rows + (size_t)slot * dim) : (const void *)((const float *)rows + (size_t)slot * dim);
}

GK_INLINE v16f row_load16(const void *row, size_t i, bool half) {
    return half ? load16_half((const uint16_t *)row + i) : load16((const float *)row + i);
}

GK_INLINE float row_load1(const void *row, size_t i, bool half) {
    return half ? half_to_float(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

/// out[i] = dot(row of slots[i], query) for i < count, four rows at a time sharing the query
/// loads while the next four rows are prefetched.
GK_INLINE void dot_gather_rows(const void *rows, bool half, size_t dim, const int32_t *slots, size_t count,
                               const float *query, float *out) {
    size_t bytes = dim * (half ? sizeof(uint16_t) : sizeof(float));
    size_t ahead = count < 4 ? count : 4;
    for (size_t j = 0; j < ahead; j++) prefetch_row(row_at(rows, slots[j], dim, half), bytes);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        size_t next_end = i + 8 < count ? i + 8 : count;
        for (size_t j = i + 4; j < next_end; j++) prefetch_row(row_at(rows, slots[j], dim, half), bytes);
        const void *r0 = row_at(rows, slots[i], dim, half), *r1 = row_at(rows, slots[i + 1], dim, half);
        const void *r2 = row_at(rows, slots[i + 2], dim, half), *r3 = row_at(rows, slots[i + 3], dim, half);
        v16f s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        size_t c = 0;
        for (; c + 16 <= dim; c += 16) {
            v16f x = load16(query + c);
            s0 += row_load16(r0, c, half) * x;
            s1 += row_load16(r1, c, half) * x;
            s2 += row_load16(r2, c, half) * x;
            s3 += row_load16(r3, c, half) * x;
        }
        float t0 = sum16(s0), t1 = sum16(s1), t2 = sum16(s2), t3 = sum16(s3);
        for (; c < dim; c++) {
            t0 += row_load1(r0, c, half) * query[c];
            t1 += row_load1(r1, c, half) * query[c];
            t2 += row_load1(r2, c, half) * query[c];
            t3 += row_load1(r3, c, half) * query[c];
        }
        out[i] = t0;
        out[i + 1] = t1;
        out[i + 2] = t2;
        out[i + 3] = t3;
    }
    for (; i < count; i++) {
        const void *row = row_at(rows, slots[i], dim, half);
        v16f s = 0;
        size_t c = 0;
        for (; c + 16 <= dim; c += 16) s += row_load16(row, c, half) * load16(query + c);
        float sum = sum16(s);
        for (; c < dim; c++) sum += row_load1(row, c, half) * query[c];
        out[i] = sum;
    }
}

GK_INLINE void dot_gather_impl(const float *rows, size_t dim, const int32_t *slots, size_t count,
                               const float *query, float *out) {
    dot_gather_rows(rows, false, dim, slots, count, query, out);
}

GK_INLINE void dot_gather_half_impl(const uint16_t *rows, const float *scales, size_t dim, const int32_t *slots,
                                    size_t count, const float *query, float *out) {
    dot_gather_rows(rows, true, dim, slots, count, query, out);
    for (size_t j = 0; j < count; j++) out[j] *= scales[slots[j]];
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
