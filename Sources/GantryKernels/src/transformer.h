// Transformer kernels over row-major, contiguous rows: layer norm, GELU, bias rows, attention.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_TRANSFORMER_H
#define GK_TRANSFORMER_H

#include <math.h>

#include "simd.h"

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
                // Four sums over interleaved d, so that the FMAs do not wait on one another.
                v16f acc[4] = {0, 0, 0, 0};
                size_t d = 0;
                for (; d + 4 <= head_dim; d += 4) {
                    for (size_t u = 0; u < 4; u++) acc[u] += (v16f)q[d + u] * load16(kt + (d + u) * padded + j);
                }
                for (; d < head_dim; d++) acc[0] += (v16f)q[d] * load16(kt + d * padded + j);
                store16(p + j, (acc[0] + acc[1]) + (acc[2] + acc[3]));
            }
            for (size_t j = length; j < padded; j++) p[j] = -INFINITY;  // padding: weight exactly 0
            // The largest score, 16 lanes at a time (a scalar chain of maxima waits on each one).
            v16f tops = (v16f)-INFINITY;
            for (size_t j = 0; j < padded; j += 16) {
                v16f block = load16(p + j);
                tops = block > tops ? block : tops;
            }
            float top = max16(tops);
            v16f sum = 0;
            for (size_t j = 0; j < padded; j += 16) {
                v16f e = exp16((load16(p + j) - top) * scale);
                store16(p + j, e);
                sum += e;
            }
            float total = sum16(sum);
            float *o = out + i * width + h * head_dim;
            float inverse = 1.0f / total;
            const float *values = qkv + 2 * width + h * head_dim;
            // Each 16 columns of the context summed in registers over the value rows, then stored.
            size_t d = 0;
            for (; d + 16 <= head_dim; d += 16) {
                v16f acc[2] = {0, 0};
                size_t j = 0;
                for (; j + 2 <= length; j += 2) {
                    acc[0] += load16(values + j * stride + d) * p[j];
                    acc[1] += load16(values + (j + 1) * stride + d) * p[j + 1];
                }
                if (j < length) acc[0] += load16(values + j * stride + d) * p[j];
                store16(o + d, (acc[0] + acc[1]) * inverse);
            }
            for (; d < head_dim; d++) {
                float sum = 0;
                for (size_t j = 0; j < length; j++) sum += values[j * stride + d] * p[j];
                o[d] = sum * inverse;
            }
        }
    }
}

#endif
