// Vector kernels: dot products (one pair, four rows, gathered rows in fp32 or int8), squared L2,
// scale, axpy, the int8 encoding of a row, and masked rows added with their summary.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_VECTOR_H
#define GK_VECTOR_H

#include <stdbool.h>

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

// MARK: int8 rows
//
// A row stored as int8 codes: x · 127 / max|x| rounded to nearest (ties to even), with the scale
// max|x| / 127 kept beside it, so rows of any magnitude use the whole code range. Decoding is a
// sign extension and an int-to-float conversion (exact: every code is a float); a quarter of
// the bytes of fp32 per score.

typedef signed char v16i8 __attribute__((ext_vector_type(16)));

GK_INLINE v16f load16_i8(const int8_t *p) {
    v16i8 codes;
    memcpy(&codes, p, sizeof codes);
    return __builtin_convertvector(codes, v16f);
}

/// Writes x · 127 / max|x|, rounded to nearest even, to `out` and returns max|x| / 127 (0 for a
/// zero row, whose codes are 0).
GK_INLINE float i8_row_impl(const float *x, size_t count, int8_t *out) {
    float largest = 0;
    for (size_t i = 0; i < count; i++) {
        float a = x[i] < 0 ? -x[i] : x[i];
        if (a > largest) largest = a;
    }
    // Rows below 2^-100 are scaled up by 2^100 first (exact), so that 127 / max stays finite.
    float boost = largest < 0x1p-100f ? 0x1p100f : 1;
    float inverse = largest > 0 ? 127 / (largest * boost) : 0;
    for (size_t i = 0; i < count; i += 16) {
        size_t n = count - i < 16 ? count - i : 16;  // the last block through a zero-padded copy
        v16f block = 0;
        memcpy(&block, x + i, n * sizeof(float));
        // |x · inverse| ≤ 127 up to a rounding of the product, which rounds back to 127.
        v16f rounded = __builtin_elementwise_roundeven(block * boost * inverse);
        v16i8 codes = __builtin_convertvector(__builtin_convertvector(rounded, v16i), v16i8);
        memcpy(out + i, &codes, n);
    }
    return largest * boost / 127 / boost;
}

// MARK: gathered rows, fp32 or int8
//
// One body for both row types: `codes` is a constant at every call, so each instantiation
// keeps only its own loads.

GK_INLINE const void *row_at(const void *rows, int32_t slot, size_t dim, bool codes) {
    return codes ? (const void *)((const int8_t *)rows + (size_t)slot * dim) : (const void *)((const float *)rows + (size_t)slot * dim);
}

GK_INLINE v16f row_load16(const void *row, size_t i, bool codes) {
    return codes ? load16_i8((const int8_t *)row + i) : load16((const float *)row + i);
}

GK_INLINE float row_load1(const void *row, size_t i, bool codes) {
    return codes ? (float)((const int8_t *)row)[i] : ((const float *)row)[i];
}

/// out[i] = dot(row of slots[i], query) for i < count, four rows at a time sharing the query
/// loads while the next four rows are prefetched.
GK_INLINE void dot_gather_rows(const void *rows, bool codes, size_t dim, const int32_t *slots, size_t count,
                               const float *query, float *out) {
    size_t bytes = dim * (codes ? sizeof(int8_t) : sizeof(float));
    size_t ahead = count < 4 ? count : 4;
    for (size_t j = 0; j < ahead; j++) prefetch_row(row_at(rows, slots[j], dim, codes), bytes);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        size_t next_end = i + 8 < count ? i + 8 : count;
        for (size_t j = i + 4; j < next_end; j++) prefetch_row(row_at(rows, slots[j], dim, codes), bytes);
        const void *r0 = row_at(rows, slots[i], dim, codes), *r1 = row_at(rows, slots[i + 1], dim, codes);
        const void *r2 = row_at(rows, slots[i + 2], dim, codes), *r3 = row_at(rows, slots[i + 3], dim, codes);
        v16f s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        size_t c = 0;
        for (; c + 16 <= dim; c += 16) {
            v16f x = load16(query + c);
            s0 += row_load16(r0, c, codes) * x;
            s1 += row_load16(r1, c, codes) * x;
            s2 += row_load16(r2, c, codes) * x;
            s3 += row_load16(r3, c, codes) * x;
        }
        float t0 = sum16(s0), t1 = sum16(s1), t2 = sum16(s2), t3 = sum16(s3);
        for (; c < dim; c++) {
            t0 += row_load1(r0, c, codes) * query[c];
            t1 += row_load1(r1, c, codes) * query[c];
            t2 += row_load1(r2, c, codes) * query[c];
            t3 += row_load1(r3, c, codes) * query[c];
        }
        out[i] = t0;
        out[i + 1] = t1;
        out[i + 2] = t2;
        out[i + 3] = t3;
    }
    for (; i < count; i++) {
        const void *row = row_at(rows, slots[i], dim, codes);
        v16f s = 0;
        size_t c = 0;
        for (; c + 16 <= dim; c += 16) s += row_load16(row, c, codes) * load16(query + c);
        float sum = sum16(s);
        for (; c < dim; c++) sum += row_load1(row, c, codes) * query[c];
        out[i] = sum;
    }
}

GK_INLINE void dot_gather_impl(const float *rows, size_t dim, const int32_t *slots, size_t count,
                               const float *query, float *out) {
    dot_gather_rows(rows, false, dim, slots, count, query, out);
}

GK_INLINE void dot_gather_i8_impl(const int8_t *rows, const float *scales, size_t dim, const int32_t *slots,
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

// Σ_i q[i] · Σ_c rows_i[c] · q[s_i + c] for i < dim, where s_i = 16·⌊i/16⌋ and the rows rows_i
// (width − s_i bfloat16 values, width a multiple of 16 and q padded to it) follow one another in
// `packed`: the quadratic form of a symmetric matrix stored as its upper triangle from each
// row's aligned block on (see PackedSymmetricMatrix). Four rows of a block share each load of q;
// the matrix's entries are widened to floats as they are read, and the sums kept in floats.
GK_INLINE float packed_quadratic_impl(const uint16_t *packed, const float *q, size_t dim, size_t width) {
    v16f total = 0;
    const uint16_t *row = packed;
    size_t i = 0;
    for (; i + 4 <= dim; i += 4) {  // i is a multiple of 4: the four rows share a block
        size_t start = i & ~(size_t)15, length = width - start;
        const uint16_t *r0 = row, *r1 = row + length, *r2 = row + 2 * length, *r3 = row + 3 * length;
        v16f a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (size_t c = 0; c < length; c += 16) {
            v16f x = load16(q + start + c);
            a0 += load16_bf16(r0 + c) * x;
            a1 += load16_bf16(r1 + c) * x;
            a2 += load16_bf16(r2 + c) * x;
            a3 += load16_bf16(r3 + c) * x;
        }
        total += a0 * q[i] + a1 * q[i + 1] + a2 * q[i + 2] + a3 * q[i + 3];
        row += 4 * length;
    }
    for (; i < dim; i++) {
        size_t start = i & ~(size_t)15, length = width - start;
        v16f a = 0;
        for (size_t c = 0; c < length; c += 16) a += load16_bf16(row + c) * load16(q + start + c);
        total += a * q[i];
        row += length;
    }
    return sum16(total);
}

// out[j] = the next value of `values` where bit j of `mask` is set (in order), 0 elsewhere, for
// j < 16. The generic form, for variants without an expanding load. (The expansions write to
// memory rather than return a vector: they are passed to the body as a function pointer, and a
// vector returned across a call compiled for another instruction set changes its ABI.)
GK_INLINE void expand16_generic(float *out, const float *values, uint32_t mask) {
    for (int j = 0; j < 16; j++) out[j] = 0;
    for (; mask; mask &= mask - 1) out[__builtin_ctz(mask)] = *values++;  // one step per set bit
}

#if defined(__x86_64__)
#include <immintrin.h>

/// expand16_generic in one `vexpandps`.
__attribute__((target("avx512f"))) GK_INLINE void expand16_avx512(float *out, const float *values, uint32_t mask) {
    _mm512_storeu_ps(out, _mm512_maskz_expandloadu_ps((__mmask16)mask, values));
}
#endif

// x[i] += Σ_t weights[t] · row_t[i] for the `rows` (a constant, at most 4, so that the rows'
// cursors stay in registers) masked rows from `masks` and `values` (see below), advancing
// values[t]; with `summarise`, from the same pass sums[0] = Σ x, sums[1] = Σ x² (16 float lanes,
// totalled in double) and the largest value of each run of `block` values into maxima.
GK_INLINE void add_masked_row_group(float *x, size_t count, const uint16_t *const *masks, const float **values,
                                    const float *weights, size_t rows, bool summarise, size_t block, double *sums,
                                    float *maxima, void (*expand)(float *, const float *, uint32_t)) {
    // One named cursor, mask and weight per row (not arrays: they stay in registers).
    const uint16_t *m0 = rows > 0 ? masks[0] : 0, *m1 = rows > 1 ? masks[1] : 0;
    const uint16_t *m2 = rows > 2 ? masks[2] : 0, *m3 = rows > 3 ? masks[3] : 0;
    const float *c0 = rows > 0 ? values[0] : 0, *c1 = rows > 1 ? values[1] : 0;
    const float *c2 = rows > 2 ? values[2] : 0, *c3 = rows > 3 ? values[3] : 0;
    float w0 = rows > 0 ? weights[0] : 0, w1 = rows > 1 ? weights[1] : 0;
    float w2 = rows > 2 ? weights[2] : 0, w3 = rows > 3 ? weights[3] : 0;
    v16f sum = 0, squares = 0;
    double tail_sum = 0, tail_squares = 0;
    size_t i = 0, b = 0;
    while (i < count) {
        size_t end = count - i < block ? count : i + block;
        v16f highest = -__builtin_inff();
        for (; i + 16 <= end; i += 16) {
            // Each row's part apart, then added in pairs: no chain of dependent multiply-adds.
            v16f a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#define GK_MASKED_ROW(t)                                  \
            if (rows > t) {                               \
                uint32_t bits = m##t[i / 16];             \
                if (bits == 0xFFFF) {                     \
                    a##t = load16(c##t) * w##t;           \
                    c##t += 16;                           \
                } else {                                  \
                    float expanded[16];                   \
                    expand(expanded, c##t, bits);         \
                    a##t = load16(expanded) * w##t;       \
                    c##t += __builtin_popcount(bits);     \
                }                                         \
            }
            GK_MASKED_ROW(0) GK_MASKED_ROW(1) GK_MASKED_ROW(2) GK_MASKED_ROW(3)
#undef GK_MASKED_ROW
            v16f v = load16(x + i);
            if (rows > 0) {
                v += (a0 + a1) + (a2 + a3);
                store16(x + i, v);
            }
            if (summarise) {
                sum += v;
                squares += v * v;
                highest = __builtin_elementwise_max(highest, v);
            }
        }
        float m = max16(highest);  // scores are never NaN
        for (; i < end; i++) {
            float v = x[i];
            size_t word = i / 16, bit = i % 16;
            if (rows > 0 && m0[word] >> bit & 1) v += *c0++ * w0;
            if (rows > 1 && m1[word] >> bit & 1) v += *c1++ * w1;
            if (rows > 2 && m2[word] >> bit & 1) v += *c2++ * w2;
            if (rows > 3 && m3[word] >> bit & 1) v += *c3++ * w3;
            if (rows > 0) x[i] = v;
            tail_sum += v;
            tail_squares += (double)v * v;
            m = v > m ? v : m;
        }
        if (summarise) maxima[b++] = m;
    }
    if (summarise) {
        sums[0] = tail_sum + sum16(sum);
        sums[1] = tail_squares + sum16(squares);
    }
    if (rows > 0) values[0] = c0;
    if (rows > 1) values[1] = c1;
    if (rows > 2) values[2] = c2;
    if (rows > 3) values[3] = c3;
}

// x[i] += Σ_t weights[t] · row_t[i] (no row: x is only read), where row t is
// stored masked: bit i % 16 of masks[t][i / 16] tells whether values[t] holds row_t[i] (a clear
// bit: 0), and values[t] holds those entries in order (advanced past them: on return values[t] points past its row's
// last value). Then sums[0] = Σ x, sums[1] = Σ x² (16 float lanes, totalled in double), and the
// largest value of each run of `block` values (a multiple of 16; the last run may be shorter)
// into maxima[0 ..< ceil(count / block)]. The rows are added four at a time, the last group in
// the pass that summarises (one pass for up to four rows, as most queries have); a row costs
// its mask and its values in memory traffic. A word of 16 set bits is read as 16 values
// directly — a row stored with every bit set is a dense row, what variants without an expanding
// load are given (`expand16_generic` costs a step per set bit). `expand` is the variant's
// expand16.
GK_INLINE void add_masked_rows_summary_body(float *x, size_t count, const uint16_t *const *masks, const float **values,
                                            const float *weights, size_t row_count, size_t block, double *sums, float *maxima,
                                            void (*expand)(float *, const float *, uint32_t)) {
    size_t t = 0;
    for (; row_count - t > 4; t += 4) {
        add_masked_row_group(x, count, masks + t, values + t, weights + t, 4, false, block, sums, maxima, expand);
    }
    // The last 0 to 4 rows, with the summary; each count its own copy, so `rows` is a constant.
    switch (row_count - t) {
    case 0: add_masked_row_group(x, count, masks + t, values + t, weights + t, 0, true, block, sums, maxima, expand); break;
    case 1: add_masked_row_group(x, count, masks + t, values + t, weights + t, 1, true, block, sums, maxima, expand); break;
    case 2: add_masked_row_group(x, count, masks + t, values + t, weights + t, 2, true, block, sums, maxima, expand); break;
    case 3: add_masked_row_group(x, count, masks + t, values + t, weights + t, 3, true, block, sums, maxima, expand); break;
    default: add_masked_row_group(x, count, masks + t, values + t, weights + t, 4, true, block, sums, maxima, expand); break;
    }
}

/// The body dispatch.c instantiates: each variant defines GK_EXPAND16, its expand16.
#define add_masked_rows_summary_impl(...) add_masked_rows_summary_body(__VA_ARGS__, GK_EXPAND16)

#endif
