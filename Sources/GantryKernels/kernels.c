// One body per kernel, instantiated per instruction set.
//
// The bodies use clang vector extensions (16 floats per vector) and are always inlined into
// thin wrappers that carry a `target` attribute, so the same source compiles to SSE2, to
// AVX2+FMA (two ymm registers per vector) or to AVX-512 (one zmm register). Dispatch goes
// through one table pointer chosen at load time; a call costs one indirect branch.
#include "GantryKernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(fast)
// The vector helpers are always inlined, so no vector crosses a call boundary.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16f __attribute__((ext_vector_type(16)));
typedef int v16i __attribute__((ext_vector_type(16)));

#define GK_INLINE static inline __attribute__((always_inline))

GK_INLINE v16f load16(const float *p) {
    v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

GK_INLINE void store16(float *p, v16f v) { memcpy(p, &v, sizeof v); }

GK_INLINE float sum16(v16f v) {
    __typeof__(v.lo) h = v.lo + v.hi;
    __typeof__(h.lo) q = h.lo + h.hi;
    return (q.x + q.y) + (q.z + q.w);
}

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

/// One AdamW step over n parameters: moments m, v updated in place, then
/// x -= lr · (m̂ / (√v̂ + eps) + wd · x), with m̂ = m / c1 and v̂ = v / c2 (bias corrections).
GK_INLINE void adamw_impl(float *x, const float *g, float *m, float *v, size_t n, const float *s) {
    float lr = s[0], wd = s[1], b1 = s[2], b2 = s[3], eps = s[4], c1 = s[5], c2 = s[6];
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f gi = load16(g + i);
        v16f mi = load16(m + i) * b1 + gi * (1 - b1);
        v16f vi = load16(v + i) * b2 + gi * gi * (1 - b2);
        store16(m + i, mi);
        store16(v + i, vi);
        v16f xi = load16(x + i);
        store16(x + i, xi - lr * ((mi / c1) / (__builtin_elementwise_sqrt(vi / c2) + eps) + wd * xi));
    }
    for (; i < n; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        x[i] -= lr * ((m[i] / c1) / (sqrtf(v[i] / c2) + eps) + wd * x[i]);
    }
}

// MARK: transformer kernels

GK_INLINE void layer_norm_impl(float *x, size_t rows, size_t dim, const float *gamma, const float *beta, float eps) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * dim;
        v16f sum = 0, squares = 0;
        size_t i = 0;
        for (; i + 16 <= dim; i += 16) {
            v16f v = load16(row + i);
            sum += v;
            squares += v * v;
        }
        float s = sum16(sum), sq = sum16(squares);
        for (; i < dim; i++) {
            s += row[i];
            sq += row[i] * row[i];
        }
        float mean = s / (float)dim;
        float variance = sq / (float)dim - mean * mean;
        if (variance < 0) variance = 0;
        float inv = 1.0f / sqrtf(variance + eps);
        i = 0;
        for (; i + 16 <= dim; i += 16) {
            store16(row + i, (load16(row + i) - mean) * inv * load16(gamma + i) + load16(beta + i));
        }
        for (; i < dim; i++) row[i] = (row[i] - mean) * inv * gamma[i] + beta[i];
    }
}

/// erf by the rational approximation Eigen and TensorFlow use (odd numerator of degree 13 over
/// an even denominator of degree 8, inputs clamped to ±4): no exp, so it vectorises.
GK_INLINE v16f erf16(v16f x) {
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, (v16f)-4.0f), (v16f)4.0f);
    v16f x2 = x * x;
    v16f p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    p = x * p;
    v16f q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return p / q;
}

GK_INLINE void gelu_impl(float *x, size_t count) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        v16f v = load16(x + i);
        store16(x + i, v * 0.5f * (1.0f + erf16(v * 0.70710678118654752f)));
    }
    if (i < count) {  // the tail through a padded vector, so it gets the same approximation
        float tail[16] = {0};
        memcpy(tail, x + i, (count - i) * sizeof(float));
        v16f v = load16(tail);
        store16(tail, v * 0.5f * (1.0f + erf16(v * 0.70710678118654752f)));
        memcpy(x + i, tail, (count - i) * sizeof(float));
    }
}

GK_INLINE void add_bias_rows_impl(float *out, const float *base, size_t rows, size_t dim, const float *bias) {
    for (size_t r = 0; r < rows; r++) {
        size_t i = 0;
        if (base) {
            for (; i + 16 <= dim; i += 16) store16(out + r * dim + i, load16(base + r * dim + i) + load16(bias + i));
            for (; i < dim; i++) out[r * dim + i] = base[r * dim + i] + bias[i];
        } else {
            memcpy(out + r * dim, bias, dim * sizeof(float));
        }
    }
}

/// e^x for x ≤ 88 (Cephes' expf: Cody-Waite reduction by ln 2, degree-6 polynomial; relative
/// error ≈ 2e-7); underflows to 0 below −87.
GK_INLINE v16f exp16(v16f x) {
    v16f clamped = __builtin_elementwise_min(__builtin_elementwise_max(x, (v16f)-87.0f), (v16f)88.0f);
    v16f n = __builtin_elementwise_floor(clamped * 1.44269504088896341f + 0.5f);
    v16f r = clamped - n * 0.693359375f - n * -2.12194440e-4f;
    v16f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    v16i bits = (__builtin_convertvector(n, v16i) + 127) << 23;
    v16f scale;
    memcpy(&scale, &bits, sizeof scale);
    v16f result = p * scale;
    return x < -87.0f ? (v16f)0.0f : result;
}

/// Per head: K transposed into scratch (head_dim × Lp, Lp = length rounded up to 16, zero
/// padding), so a row of scores is head_dim broadcast FMAs per 16 keys with no horizontal sums;
/// softmax with a vector exp; then the context as a weighted sum of value rows.
GK_INLINE void attention_impl(const float *qkv, size_t length, size_t heads, size_t head_dim, size_t first_head,
                              size_t end_head, float *out, float *scratch) {
    size_t width = heads * head_dim, stride = 3 * width, padded = (length + 15) / 16 * 16;
    float scale = 1.0f / sqrtf((float)head_dim);
    float *kt = scratch, *p = scratch + head_dim * padded;
    for (size_t h = first_head; h < end_head; h++) {
        for (size_t d = 0; d < head_dim; d++) {
            for (size_t j = 0; j < padded; j++) kt[d * padded + j] = j < length ? qkv[j * stride + width + h * head_dim + d] : 0.0f;
        }
        for (size_t i = 0; i < length; i++) {
            const float *q = qkv + i * stride + h * head_dim;
            for (size_t j = 0; j < padded; j += 16) {
                v16f acc = 0;
                for (size_t d = 0; d < head_dim; d++) acc += (v16f)q[d] * load16(kt + d * padded + j);
                store16(p + j, acc);
            }
            float top = -INFINITY;
            for (size_t j = 0; j < length; j++) top = p[j] > top ? p[j] : top;
            for (size_t j = length; j < padded; j++) p[j] = -INFINITY;  // padding: weight exactly 0
            v16f sum = 0;
            for (size_t j = 0; j < padded; j += 16) {
                v16f e = exp16((load16(p + j) - top) * scale);
                store16(p + j, e);
                sum += e;
            }
            float total = sum16(sum);
            float *o = out + i * width + h * head_dim;
            memset(o, 0, head_dim * sizeof(float));
            float inverse = 1.0f / total;
            for (size_t j = 0; j < length; j++) {
                const float *v = qkv + j * stride + 2 * width + h * head_dim;
                float w = p[j] * inverse;
                size_t d = 0;
                for (; d + 16 <= head_dim; d += 16) store16(o + d, load16(o + d) + load16(v + d) * w);
                for (; d < head_dim; d++) o[d] += v[d] * w;
            }
        }
    }
}

// MARK: small-batch matrix product
//
// C[r][j] += Σ_i X[r][i] · W[i][j] with W (K × N) packed once, ahead of use, into 32-column
// panels: panel p holds rows i = 0..<K of columns 32p..<32p+32 contiguously (zero-padded past N).
// No packing per call, which is what makes a few rows (one sentence) cost as much as an OpenBLAS
// call spends repacking its operand, and the panel streams sequentially (the prefetchers follow
// it; a row-major W would stride a page per row). The microkernel keeps up to 8 rows × 32 columns of C
// in registers (16 zmm under AVX-512), broadcasting X values; a panel (48-192 KB) stays in L2
// while every row block passes over it.

#define GEMM_MAX_ROWS 8

GK_INLINE void gemm_block(const float *x, size_t ldx, const float *panel, float *c, size_t ldc,
                          size_t k, size_t block, size_t rows, size_t cols) {
    v16f a[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) a[r][0] = a[r][1] = 0;
    for (size_t i = 0; i < k; i++) {
        v16f w0 = load16(panel + 32 * i), w1 = load16(panel + 32 * i + 16);
        for (size_t r = 0; r < block; r++) {
            if (r < rows) {
                v16f xv = (v16f)x[r * ldx + i];
                a[r][0] += xv * w0;
                a[r][1] += xv * w1;
            }
        }
    }
    for (size_t r = 0; r < rows; r++) {
        if (cols == 32) {
            store16(c + r * ldc, load16(c + r * ldc) + a[r][0]);
            store16(c + r * ldc + 16, load16(c + r * ldc + 16) + a[r][1]);
        } else {
            float sums[32];
            store16(sums, a[r][0]);
            store16(sums + 16, a[r][1]);
            for (size_t j = 0; j < cols; j++) c[r * ldc + j] += sums[j];
        }
    }
}

/// `block` (a constant per instruction set) rows share each panel load: 8 under AVX-512 (16
/// accumulators, enough to cover the FMA latency), 2 where 16 floats take two or four registers.
GK_INLINE void gemm_impl(const float *x, size_t rows, size_t k, const float *panels, size_t n, float *c,
                         size_t first_panel, size_t end_panel, const size_t block) {
    for (size_t p = first_panel; p < end_panel; p++) {
        const float *panel = panels + p * k * 32;
        size_t j = 32 * p, cols = n - j < 32 ? n - j : 32;
        size_t r = 0;
        for (; r + block <= rows; r += block) gemm_block(x + r * k, k, panel, c + r * n + j, n, k, block, block, cols);
        // The remaining rows in one pass over the panel, each count with its own unrolled block.
        const float *xr = x + r * k;
        float *cr = c + r * n + j;
        switch (rows - r) {
        case 0: break;
#define GEMM_TAIL(count) case count: gemm_block(xr, k, panel, cr, n, k, count, count, cols); break;
        GEMM_TAIL(1) GEMM_TAIL(2) GEMM_TAIL(3) GEMM_TAIL(4) GEMM_TAIL(5) GEMM_TAIL(6) GEMM_TAIL(7)
#undef GEMM_TAIL
        }
    }
}

void gk_pack_panels(const float *w, size_t k, size_t n, float *panels) {
    size_t count = (n + 31) / 32;
    for (size_t p = 0; p < count; p++) {
        for (size_t i = 0; i < k; i++) {
            float *out = panels + (p * k + i) * 32;
            for (size_t j = 0; j < 32; j++) out[j] = 32 * p + j < n ? w[i * n + 32 * p + j] : 0.0f;
        }
    }
}

// MARK: top-k selection
//
// A binary min-heap whose root is the worst kept pair; "better" means a higher score, then a
// lower id. New scores are first compared 16 at a time against the root's score, so a full
// selection rejects most blocks with one vector compare.

GK_INLINE bool better(float score, int64_t id, float other_score, int64_t other_id) {
    return score > other_score || (score == other_score && id < other_id);
}

static void sift_down(gk_topk *t, size_t at, size_t count) {
    float *s = t->scores;
    int64_t *ids = t->ids;
    for (;;) {
        size_t worst = at, left = 2 * at + 1, right = left + 1;
        if (left < count && better(s[worst], ids[worst], s[left], ids[left])) worst = left;
        if (right < count && better(s[worst], ids[worst], s[right], ids[right])) worst = right;
        if (worst == at) return;
        float ts = s[at]; s[at] = s[worst]; s[worst] = ts;
        int64_t ti = ids[at]; ids[at] = ids[worst]; ids[worst] = ti;
        at = worst;
    }
}

static void offer(gk_topk *t, float score, int64_t id) {
    if (score != score) return;  // NaN
    float *s = t->scores;
    int64_t *ids = t->ids;
    if (t->count < t->capacity) {
        size_t at = t->count++;
        s[at] = score;
        ids[at] = id;
        while (at > 0) {
            size_t parent = (at - 1) / 2;
            if (!better(s[parent], ids[parent], s[at], ids[at])) break;
            float ts = s[at]; s[at] = s[parent]; s[parent] = ts;
            int64_t ti = ids[at]; ids[at] = ids[parent]; ids[parent] = ti;
            at = parent;
        }
    } else if (better(score, id, s[0], ids[0])) {
        s[0] = score;
        ids[0] = id;
        sift_down(t, 0, t->count);
    }
}

GK_INLINE void push_scores_impl(gk_topk *t, const float *scores, size_t count, int64_t first_id) {
    if (t->capacity == 0) return;
    size_t i = 0;
    for (; i < count && t->count < t->capacity; i++) offer(t, scores[i], first_id + (int64_t)i);
    if (i == count) return;
    // `>=` rather than `>`: an equal score can still win on a lower id.
    float threshold = t->scores[0];
    for (; i + 16 <= count; i += 16) {
        v16i hit = load16(scores + i) >= threshold;
        if (!__builtin_reduce_or(hit)) continue;
        for (size_t j = 0; j < 16; j++) {
            if (scores[i + j] >= threshold) offer(t, scores[i + j], first_id + (int64_t)(i + j));
        }
        threshold = t->scores[0];
    }
    for (; i < count; i++) offer(t, scores[i], first_id + (int64_t)i);
}

GK_INLINE void push_dots_impl(gk_topk *t, const float *rows, size_t count, size_t dim,
                              const float *query, int64_t first_id) {
    float block[16];
    size_t r = 0;
    for (; r + 16 <= count; r += 16) {
        const float *base = rows + r * dim;
        for (size_t j = 0; j < 16; j += 4) {
            dot4_impl(base + j * dim, base + (j + 1) * dim, base + (j + 2) * dim,
                      base + (j + 3) * dim, query, dim, block + j);
        }
        push_scores_impl(t, block, 16, first_id + (int64_t)r);
    }
    for (; r < count; r++) {
        block[0] = dot_impl(rows + r * dim, query, dim);
        push_scores_impl(t, block, 1, first_id + (int64_t)r);
    }
}

void gk_topk_finish(gk_topk *t) {
    // Heap sort: moving the worst pair to the end each time leaves the best first.
    for (size_t end = t->count; end > 1; end--) {
        float ts = t->scores[0]; t->scores[0] = t->scores[end - 1]; t->scores[end - 1] = ts;
        int64_t ti = t->ids[0]; t->ids[0] = t->ids[end - 1]; t->ids[end - 1] = ti;
        sift_down(t, 0, end - 1);
    }
}

// MARK: variants and dispatch

typedef struct {
    float (*dot)(const float *, const float *, size_t);
    float (*l2sq)(const float *, const float *, size_t);
    void (*scale)(float *, float, size_t);
    void (*push_scores)(gk_topk *, const float *, size_t, int64_t);
    void (*push_dots)(gk_topk *, const float *, size_t, size_t, const float *, int64_t);
    void (*dot_gather)(const float *, size_t, const int32_t *, size_t, const float *, float *);
    void (*layer_norm)(float *, size_t, size_t, const float *, const float *, float);
    void (*gelu)(float *, size_t);
    void (*add_bias_rows)(float *, const float *, size_t, size_t, const float *);
    void (*attention)(const float *, size_t, size_t, size_t, size_t, size_t, float *, float *);
    void (*gemm)(const float *, size_t, size_t, const float *, size_t, float *, size_t, size_t);
    void (*axpy)(float, const float *, float *, size_t);
    void (*adamw)(float *, const float *, float *, float *, size_t, const float *);
} gk_table;

#define GK_VARIANT(name, attributes, gemm_rows)                                              \
    attributes static float dot_##name(const float *a, const float *b, size_t n) {           \
        return dot_impl(a, b, n);                                                            \
    }                                                                                        \
    attributes static float l2sq_##name(const float *a, const float *b, size_t n) {          \
        return l2sq_impl(a, b, n);                                                           \
    }                                                                                        \
    attributes static void scale_##name(float *x, float alpha, size_t n) {                   \
        scale_impl(x, alpha, n);                                                             \
    }                                                                                        \
    attributes static void push_scores_##name(gk_topk *t, const float *s, size_t n,          \
                                              int64_t first) {                               \
        push_scores_impl(t, s, n, first);                                                    \
    }                                                                                        \
    attributes static void push_dots_##name(gk_topk *t, const float *rows, size_t n,         \
                                            size_t dim, const float *q, int64_t first) {     \
        push_dots_impl(t, rows, n, dim, q, first);                                           \
    }                                                                                        \
    attributes static void dot_gather_##name(const float *rows, size_t dim, const int32_t *s, \
                                             size_t n, const float *q, float *out) {         \
        dot_gather_impl(rows, dim, s, n, q, out);                                            \
    }                                                                                        \
    attributes static void layer_norm_##name(float *x, size_t rows, size_t dim, const float *g, \
                                             const float *b, float eps) {                   \
        layer_norm_impl(x, rows, dim, g, b, eps);                                            \
    }                                                                                        \
    attributes static void gelu_##name(float *x, size_t n) { gelu_impl(x, n); }              \
    attributes static void add_bias_rows_##name(float *out, const float *base, size_t rows,   \
                                                size_t dim, const float *bias) {             \
        add_bias_rows_impl(out, base, rows, dim, bias);                                      \
    }                                                                                        \
    attributes static void attention_##name(const float *qkv, size_t length, size_t heads,    \
                                            size_t head_dim, size_t first, size_t end,       \
                                            float *out, float *p) {                          \
        attention_impl(qkv, length, heads, head_dim, first, end, out, p);                    \
    }                                                                                        \
    attributes static void gemm_##name(const float *x, size_t rows, size_t k, const float *w, \
                                       size_t n, float *c, size_t begin, size_t end) {       \
        gemm_impl(x, rows, k, w, n, c, begin, end, gemm_rows);                               \
    }                                                                                        \
    attributes static void axpy_##name(float a, const float *x, float *y, size_t n) {        \
        axpy_impl(a, x, y, n);                                                               \
    }                                                                                        \
    attributes static void adamw_##name(float *x, const float *g, float *m, float *v,        \
                                        size_t n, const float *s) {                          \
        adamw_impl(x, g, m, v, n, s);                                                        \
    }                                                                                        \
    static const gk_table table_##name = {dot_##name, l2sq_##name, scale_##name,             \
                                          push_scores_##name, push_dots_##name,              \
                                          dot_gather_##name, layer_norm_##name, gelu_##name, \
                                          add_bias_rows_##name, attention_##name, gemm_##name, \
                                          axpy_##name, adamw_##name};

GK_VARIANT(generic, , 2)
#if defined(__x86_64__)
GK_VARIANT(avx2, __attribute__((target("avx2,fma"))), 2)
GK_VARIANT(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), 8)
#endif

static const gk_table *active_table = &table_generic;
static gk_isa active_isa = GK_ISA_GENERIC;

static uint32_t detect_cpu_features(void) {
    uint32_t bits = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) bits |= GK_CPU_SSE42;
    if (__builtin_cpu_supports("avx")) bits |= GK_CPU_AVX;
    if (__builtin_cpu_supports("avx2")) bits |= GK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) bits |= GK_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) bits |= GK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512cd")) bits |= GK_CPU_AVX512CD;
    if (__builtin_cpu_supports("avx512bw")) bits |= GK_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512dq")) bits |= GK_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl")) bits |= GK_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512vnni")) bits |= GK_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx512bf16")) bits |= GK_CPU_AVX512BF16;
#endif
    return bits;
}

uint32_t gk_cpu_features(void) {
    // Detected once; racing first calls compute the same value.
    static uint32_t features;
    static bool detected;
    if (!__atomic_load_n(&detected, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&features, detect_cpu_features(), __ATOMIC_RELAXED);
        __atomic_store_n(&detected, true, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&features, __ATOMIC_RELAXED);
}

gk_isa gk_best_isa(void) {
    uint32_t f = gk_cpu_features();
    if ((f & GK_CPU_AVX512F) && (f & GK_CPU_AVX512VL) && (f & GK_CPU_AVX2) && (f & GK_CPU_FMA))
        return GK_ISA_AVX512;
    if ((f & GK_CPU_AVX2) && (f & GK_CPU_FMA)) return GK_ISA_AVX2;
    return GK_ISA_GENERIC;
}

gk_isa gk_active_isa(void) { return __atomic_load_n(&active_isa, __ATOMIC_ACQUIRE); }

bool gk_select_isa(gk_isa isa) {
    if (isa > gk_best_isa()) return false;
    const gk_table *table = &table_generic;
#if defined(__x86_64__)
    if (isa == GK_ISA_AVX2) table = &table_avx2;
    if (isa == GK_ISA_AVX512) table = &table_avx512;
#endif
    __atomic_store_n(&active_table, table, __ATOMIC_RELEASE);
    __atomic_store_n(&active_isa, isa, __ATOMIC_RELEASE);
    return true;
}

__attribute__((constructor)) static void gk_choose_at_load(void) {
    gk_isa isa = gk_best_isa();
    const char *wanted = getenv("GANTRY_SIMD");
    if (wanted) {
        if (strcmp(wanted, "generic") == 0) isa = GK_ISA_GENERIC;
        else if (strcmp(wanted, "avx2") == 0 && isa >= GK_ISA_AVX2) isa = GK_ISA_AVX2;
    }
    gk_select_isa(isa);
}

#define GK_TABLE() __atomic_load_n(&active_table, __ATOMIC_ACQUIRE)

float gk_dot(const float *a, const float *b, size_t n) { return GK_TABLE()->dot(a, b, n); }
float gk_l2sq(const float *a, const float *b, size_t n) { return GK_TABLE()->l2sq(a, b, n); }
void gk_scale(float *x, float alpha, size_t n) { GK_TABLE()->scale(x, alpha, n); }
void gk_axpy(float alpha, const float *x, float *y, size_t n) { GK_TABLE()->axpy(alpha, x, y, n); }
void gk_adamw(float *x, const float *g, float *m, float *v, size_t n, const float *settings) {
    GK_TABLE()->adamw(x, g, m, v, n, settings);
}
void gk_topk_push_scores(gk_topk *t, const float *s, size_t n, int64_t first) {
    GK_TABLE()->push_scores(t, s, n, first);
}
void gk_topk_push_dots(gk_topk *t, const float *rows, size_t n, size_t dim, const float *q,
                       int64_t first) {
    GK_TABLE()->push_dots(t, rows, n, dim, q, first);
}
void gk_dot_gather(const float *rows, size_t dim, const int32_t *slots, size_t n, const float *q, float *out) {
    GK_TABLE()->dot_gather(rows, dim, slots, n, q, out);
}
void gk_layer_norm(float *x, size_t rows, size_t dim, const float *gamma, const float *beta, float eps) {
    GK_TABLE()->layer_norm(x, rows, dim, gamma, beta, eps);
}
void gk_gelu(float *x, size_t count) { GK_TABLE()->gelu(x, count); }
void gk_add_bias_rows(float *out, const float *base, size_t rows, size_t dim, const float *bias) {
    GK_TABLE()->add_bias_rows(out, base, rows, dim, bias);
}
void gk_gemm_panels(const float *x, size_t rows, size_t k, const float *panels, size_t n, float *c, size_t first_panel, size_t end_panel) {
    GK_TABLE()->gemm(x, rows, k, panels, n, c, first_panel, end_panel);
}
void gk_attention(const float *qkv, size_t length, size_t heads, size_t head_dim, size_t first_head, size_t end_head,
                  float *out, float *scratch) {
    GK_TABLE()->attention(qkv, length, heads, head_dim, first_head, end_head, out, scratch);
}

// MARK: CRC-32C
//
// Index and adapter files carry a CRC-32C of their payload; loading 100k×384 vectors checks
// 150 MB, so the hardware instruction matters. Three independent streams would be faster
// still; one stream already runs at several GB/s.

static uint32_t crc32c_table[256];

__attribute__((constructor)) static void crc32c_build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int j = 0; j < 8; j++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        crc32c_table[i] = c;
    }
}

static uint32_t crc32c_portable(uint32_t crc, const uint8_t *p, size_t count) {
    crc = ~crc;
    for (size_t i = 0; i < count; i++) crc = crc32c_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t count) {
    uint64_t c = ~crc;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, 8);
        c = __builtin_ia32_crc32di(c, word);
    }
    uint32_t c32 = (uint32_t)c;
    for (; i < count; i++) c32 = __builtin_ia32_crc32qi(c32, p[i]);
    return ~c32;
}
#endif

uint32_t gk_crc32c(uint32_t crc, const void *bytes, size_t count) {
#if defined(__x86_64__)
    // The generic variant (gk_select_isa(GK_ISA_GENERIC)) uses the table, so both paths can be tested.
    if (gk_active_isa() != GK_ISA_GENERIC && (gk_cpu_features() & GK_CPU_SSE42))
        return crc32c_sse42(crc, (const uint8_t *)bytes, count);
#endif
    return crc32c_portable(crc, (const uint8_t *)bytes, count);
}
