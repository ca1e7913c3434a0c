// The packed-panel product of gemm.h with 8-bit integers: a quarter of the float weights' bytes,
// and on CPUs with AVX-512 VNNI the `vpdpbusd` instruction, which does four times the
// multiply-adds of a float FMA per instruction, summing in 32-bit integers (exact: no
// saturation, unlike the 16-bit `vpmaddubsw` route that naive quantisers take).
//
// Quantisation. Weights: per output column, symmetric, w ≈ sw[j]·cw with cw in −127…127 and
// sw[j] = max_i |w[i][j]| / 127 over the column's weights but its outliers (below); the codes
// rounded to nearest (i8_quantise_columns_impl) or chosen on that grid by the caller (GPTQ:
// Int8Quantization in GantryMath). Inputs: per row, at each product, asymmetric unsigned bytes,
// x ≈ sx[r]·(u − z[r]) with u in 0…255 over the row's range but its outliers (0 included, so z is
// a whole byte). Then Σ_i x[r][i]·w[i][j] ≈
// sx[r]·sw[j]·(Σ_i u·cw − z[r]·Σ_i cw), the integer sum exact (it fits 32 bits while k ≤ 66,000)
// and Σ_i cw kept per column at packing; the outliers of both sides, coded as 0, are added in
// float. Both kernels below compute the same integers and scale them without fused multiply-adds,
// so they agree to the last bit.
//
// Layout. x as quads: row r, quad q holds u[4q…4q+3] in its bytes, low first (0 past k).
// Weights in 32-column panels of k-quads: panel p, quad q is 128 bytes, column j's
// (cw[4q][j] … cw[4q+3][j]) at 4j…4j+3, the operand layout of `vpdpbusd` (lane j: the sum of
// four byte products).
#ifndef GK_GEMM_I8_H
#define GK_GEMM_I8_H

#include <math.h>

#include "GantryKernels.h"
#include "gemm.h"

/// Values of a row beyond this many times its root mean square are its outliers (at most
/// GK_I8_OUTLIERS of them, the largest): quantised as 0 and added back exactly at the product, so
/// the other values get the byte range. The activations of BERT models carry one or two such
/// values per row (a few channels tens of times the rest), which would otherwise set the step.
#define GK_I8_OUTLIER_RATIO 6.0f

/// Puts (index, value) among a row's kept outliers, which are ordered by magnitude, largest first
/// (`count` of them, at most GK_I8_OUTLIERS: a smaller one than all of a full list is dropped).
static inline void u8_keep_outlier(int32_t *indices, float *values, int32_t *count, int32_t index, float value) {
    int32_t at = *count;
    while (at > 0 && fabsf(values[at - 1]) < fabsf(value)) at--;
    if (at == GK_I8_OUTLIERS) return;
    int32_t last = *count < GK_I8_OUTLIERS ? *count : GK_I8_OUTLIERS - 1;
    for (int32_t m = last; m > at; m--) {
        indices[m] = indices[m - 1];
        values[m] = values[m - 1];
    }
    indices[at] = index;
    values[at] = value;
    if (*count < GK_I8_OUTLIERS) *count += 1;
}

/// Whether position i is one of a row's kept outliers.
static inline bool u8_is_outlier(const int32_t *indices, int32_t count, size_t i) {
    for (int32_t m = 0; m < count; m++) {
        if ((size_t)indices[m] == i) return true;
    }
    return false;
}

/// The 16 values of x from i on, zeros past `count`.
GK_INLINE v16f u8_load(const float *x, size_t i, size_t count) {
    if (count - i >= 16) return load16(x + i);
    v16f block = 0;
    memcpy(&block, x + i, (count - i) * sizeof(float));
    return block;
}

/// Rows of x (rows × k) as unsigned-byte quads (rows × ⌈k/4⌉) with each row's scale, zero point
/// and outliers (GK_I8_OUTLIERS slots a row), as described above.
GK_INLINE void u8_quads_impl(const float *x, size_t rows, size_t k, uint32_t *quads, float *scales, int32_t *zeros,
                             int32_t *outlier_counts, int32_t *outlier_indices, float *outlier_values) {
    size_t count = (k + 3) / 4;
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * k;
        int32_t *indices = outlier_indices + r * GK_I8_OUTLIERS, outliers = 0, beyond = 0;
        float *values = outlier_values + r * GK_I8_OUTLIERS;
        v16f squares = 0;
        for (size_t i = 0; i < k; i += 16) {
            v16f block = u8_load(row, i, k);
            squares += block * block;
        }
        float bound = GK_I8_OUTLIER_RATIO * sqrtf(sum16(squares) / (float)(k > 0 ? k : 1));
        // The range without the values beyond the bound (set to 0, which the range holds anyway).
        v16f low = 0, high = 0;
        for (size_t i = 0; i < k; i += 16) {
            v16f block = u8_load(row, i, k);
            v16i big = __builtin_elementwise_abs(block) > bound;
            if (__builtin_reduce_or(big)) {
                for (size_t lane = 0; lane < 16 && i + lane < k; lane++) {
                    if (!big[lane]) continue;
                    u8_keep_outlier(indices, values, &outliers, (int32_t)(i + lane), row[i + lane]);
                    beyond++;
                }
                v16i bits;
                memcpy(&bits, &block, sizeof bits);
                bits &= ~big;
                memcpy(&block, &bits, sizeof block);
            }
            low = __builtin_elementwise_min(low, block);
            high = __builtin_elementwise_max(high, block);
        }
        float lowest = __builtin_reduce_min(low), highest = __builtin_reduce_max(high);
        if (beyond > outliers) {
            // More values beyond the bound than slots: those not kept belong to the range.
            for (size_t i = 0; i < k; i++) {
                if (fabsf(row[i]) <= bound || u8_is_outlier(indices, outliers, i)) continue;
                lowest = row[i] < lowest ? row[i] : lowest;
                highest = row[i] > highest ? row[i] : highest;
            }
        }
        outlier_counts[r] = outliers;
        float scale = (highest - lowest) / 255;
        if (!(scale > 0)) scale = 1;
        float inverse = 1 / scale;
        float zero = __builtin_elementwise_roundeven(-lowest * inverse);
        zero = zero < 0 ? 0 : zero > 255 ? 255 : zero;
        scales[r] = scale;
        zeros[r] = (int32_t)zero;
        uint8_t *codes = (uint8_t *)(quads + r * count);
        memset(codes + k / 4 * 4, 0, count * 4 - k / 4 * 4);
        for (size_t i = 0; i < k; i += 16) {
            v16f code = __builtin_elementwise_roundeven(u8_load(row, i, k) * inverse) + zero;
            code = __builtin_elementwise_min(__builtin_elementwise_max(code, (v16f)0.0f), (v16f)255.0f);
            v16u8 bytes = __builtin_convertvector(__builtin_convertvector(code, v16i), v16u8);
            memcpy(codes + i, &bytes, k - i < 16 ? k - i : 16);
        }
        // Outliers are carried exactly beside the codes: each one's code stands for 0.
        for (int32_t m = 0; m < outliers; m++) codes[indices[m]] = (uint8_t)zeros[r];
    }
}

/// Weights beyond this many times their column's root mean square are its outliers: kept exactly
/// beside the codes (code 0), so the column's scale is set by the rest. Some columns of BERT
/// models carry a few weights tens of times the others.
#define GK_I8_WEIGHT_OUTLIER_RATIO 6.0f

/// Column j's bound for outliers (see GK_I8_WEIGHT_OUTLIER_RATIO).
static inline float i8_column_bound(const float *w, size_t k, size_t n, size_t j) {
    double squares = 0;
    for (size_t i = 0; i < k; i++) squares += (double)w[i * n + j] * w[i * n + j];
    return GK_I8_WEIGHT_OUTLIER_RATIO * (float)sqrt(squares / (double)(k > 0 ? k : 1));
}

static inline size_t i8_weight_outlier_count_impl(const float *w, size_t k, size_t n) {
    size_t count = 0;
    for (size_t j = 0; j < n; j++) {
        float bound = i8_column_bound(w, k, n, j);
        for (size_t i = 0; i < k; i++) count += fabsf(w[i * n + j]) > bound;
    }
    return count;
}

/// Each column of w (k × n, row-major) rounded to 8-bit codes (codes k × n, row-major): the
/// column's scale is the largest |w[i][j]| of its weights but its outliers / 127 (0 where there is
/// none: its codes are 0), each code w / scale rounded to nearest (ties to even); the outliers get
/// code 0 and are listed column by column, rows ascending.
static inline void i8_quantise_columns_impl(const float *w, size_t k, size_t n, int8_t *codes, float *scales,
                                            gk_i8_weight_outlier *outliers) {
    size_t listed = 0;
    for (size_t j = 0; j < n; j++) {
        float bound = i8_column_bound(w, k, n, j), largest = 0;
        for (size_t i = 0; i < k; i++) {
            float a = fabsf(w[i * n + j]);
            if (a > bound) outliers[listed++] = (gk_i8_weight_outlier){(int32_t)i, (int32_t)j, w[i * n + j]};
            else largest = a > largest ? a : largest;
        }
        scales[j] = largest / 127;
        for (size_t i = 0; i < k; i++) {
            long code = 0;
            if (scales[j] > 0 && fabsf(w[i * n + j]) <= bound) code = lrintf(w[i * n + j] / scales[j]);
            codes[i * n + j] = (int8_t)(code < -127 ? -127 : code > 127 ? 127 : code);
        }
    }
}

/// Codes (k × n, row-major, −127…127) with their column scales packed in panels of k-quads (the
/// layout above; ⌈n/32⌉·⌈k/4⌉·128 bytes), the scales and each column's sum of codes padded to
/// ⌈n/32⌉·32 values (0 past n), and where each panel's outliers begin in `outliers` (listed
/// column by column): panel p's from outlier_starts[p] to outlier_starts[p + 1].
static inline void pack_panels_i8_impl(const int8_t *codes, const float *scales, size_t k, size_t n,
                                       const gk_i8_weight_outlier *outliers, size_t outlier_count, int8_t *panels,
                                       float *panel_scales, int32_t *sums, int32_t *outlier_starts) {
    size_t count = (n + 31) / 32, quads = (k + 3) / 4, listed = 0;
    for (size_t p = 0; p < count; p++) {
        outlier_starts[p] = (int32_t)listed;
        while (listed < outlier_count && (size_t)outliers[listed].column < 32 * p + 32) listed++;
        for (size_t j = 32 * p; j < 32 * p + 32; j++) {
            panel_scales[j] = j < n ? scales[j] : 0;
            sums[j] = 0;
        }
        for (size_t q = 0; q < quads; q++) {
            int8_t *out = panels + (p * quads + q) * 128;
            for (size_t j = 0; j < 32; j++) {
                size_t column = 32 * p + j;
                for (size_t b = 0; b < 4; b++) {
                    size_t row = 4 * q + b;
                    int8_t code = row < k && column < n ? codes[row * n + column] : 0;
                    out[4 * j + b] = code;
                    if (column < n) sums[column] += code;
                }
            }
        }
    }
    outlier_starts[count] = (int32_t)listed;
}

/// Adds the integer sums of rows first_row..<first_row+rows × panel p's columns into c,
/// dequantised, with the rows' outliers and the panel's outlier weights.
GK_INLINE void gemm_i8_add_block(float *c, gk_i8_rows x, size_t first_row, size_t rows, gk_i8_weights w, size_t p,
                                 v16i sums[][2]) {
    // No fused multiply-adds here: both block kernels then give the same floats, not only the
    // same integer sums.
#pragma clang fp contract(off)
    size_t j = 32 * p, cols = w.n - j < 32 ? w.n - j : 32;
    v16f scale0 = load16(w.scales + j), scale1 = load16(w.scales + j + 16);
    v16i columnSum0 = load16i(w.sums + j), columnSum1 = load16i(w.sums + j + 16);
    v16f out[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < rows; r++) {
        v16i zero = (v16i)x.zeros[first_row + r];
        v16f rowScale = (v16f)x.scales[first_row + r];
        out[r][0] = __builtin_convertvector(sums[r][0] - zero * columnSum0, v16f) * (scale0 * rowScale);
        out[r][1] = __builtin_convertvector(sums[r][1] - zero * columnSum1, v16f) * (scale1 * rowScale);
        // The row's outliers: value × the weights' row, dequantised.
        for (int32_t m = 0; m < x.outlier_counts[first_row + r]; m++) {
            size_t at = (first_row + r) * GK_I8_OUTLIERS + (size_t)m, i = (size_t)x.outlier_indices[at];
            const int8_t *quad = w.panels + (p * ((x.k + 3) / 4) + i / 4) * 128;
            int shift = 24 - 8 * (int)(i % 4);
            v16f value = (v16f)x.outlier_values[at];
            out[r][0] += __builtin_convertvector((load16i(quad) << shift) >> 24, v16f) * (scale0 * value);
            out[r][1] += __builtin_convertvector((load16i(quad + 64) << shift) >> 24, v16f) * (scale1 * value);
        }
    }
    gemm_add_block(c + first_row * w.n + j, w.n, rows, cols, out);
    // The panel's outlier weights, exactly, on the block's rows as given, while they are at hand.
    for (int32_t e = w.outlier_starts[p]; e < w.outlier_starts[p + 1]; e++) {
        gk_i8_weight_outlier outlier = w.outliers[e];
        for (size_t r = first_row; r < first_row + rows; r++) {
            c[r * w.n + (size_t)outlier.column] += x.x[r * x.k + (size_t)outlier.row] * outlier.value;
        }
    }
}

/// One block of `block` rows from first_row × panel p, added into c, without the instruction:
/// each byte widened to a 32-bit lane, integer multiply-adds.
GK_INLINE void gemm_i8_block_widened(gk_i8_rows x, size_t first_row, size_t block, gk_i8_weights w, size_t p, float *c) {
    v16i a[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) a[r][0] = a[r][1] = 0;
    size_t count = (x.k + 3) / 4;
    const int8_t *panel = w.panels + p * count * 128;
    const uint32_t *quads = x.quads + first_row * count;
    for (size_t q = 0; q < count; q++) {
        v16i w0 = load16i(panel + 128 * q), w1 = load16i(panel + 128 * q + 64);
        v16i bytes0[4], bytes1[4];
        for (int b = 0; b < 4; b++) {
            bytes0[b] = (w0 << (24 - 8 * b)) >> 24;
            bytes1[b] = (w1 << (24 - 8 * b)) >> 24;
        }
        for (size_t r = 0; r < block; r++) {
            uint32_t quad = quads[r * count + q];
            for (int b = 0; b < 4; b++) {
                v16i u = (v16i)(int)((quad >> (8 * b)) & 0xFF);
                a[r][0] += u * bytes0[b];
                a[r][1] += u * bytes1[b];
            }
        }
    }
    gemm_i8_add_block(c, x, first_row, block, w, p, a);
}

/// One block kernel of this file: `block` rows from first_row × panel p, added into c.
typedef void (*gemm_i8_block_kernel)(gk_i8_rows x, size_t first_row, size_t block, gk_i8_weights w, size_t p, float *c);

/// c[r][j] += Σ x[r][i]·w[i][j] over panels first_panel..<end_panel, `block` rows per pass over a
/// panel as in gemm.h; `kernel` (a constant once inlined, as are the block sizes) does a block.
GK_INLINE void gemm_i8_panels(gemm_i8_block_kernel kernel, gk_i8_rows x, size_t rows, gk_i8_weights w, float *c,
                              size_t first_panel, size_t end_panel, const size_t block) {
    for (size_t p = first_panel; p < end_panel; p++) {
#define GEMM_I8_BLOCK(r, count) kernel(x, r, count, w, p, c)
        GEMM_ROW_BLOCKS(rows, block, GEMM_I8_BLOCK);
#undef GEMM_I8_BLOCK
    }
}

#define gemm_panels_i8_widened_impl(...) gemm_i8_panels(gemm_i8_block_widened, __VA_ARGS__, GK_GEMM_ROWS)

#if defined(__x86_64__)
#include <immintrin.h>

#define GK_VNNI_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512vnni,avx2,fma")))

/// One block of `block` rows × panel p with `vpdpbusd`: a k-quad of 32 columns is two
/// instructions per row.
GK_VNNI_TARGET GK_INLINE void gemm_i8_block_dot(gk_i8_rows x, size_t first_row, size_t block, gk_i8_weights w, size_t p,
                                                float *c) {
    __m512i a[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) a[r][0] = a[r][1] = _mm512_setzero_si512();
    size_t count = (x.k + 3) / 4;
    const int8_t *panel = w.panels + p * count * 128;
    const uint32_t *quads = x.quads + first_row * count;
    for (size_t q = 0; q < count; q++) {
        __m512i w0 = _mm512_loadu_si512(panel + 128 * q), w1 = _mm512_loadu_si512(panel + 128 * q + 64);
        for (size_t r = 0; r < block; r++) {
            __m512i u = _mm512_set1_epi32((int)quads[r * count + q]);
            a[r][0] = _mm512_dpbusd_epi32(a[r][0], u, w0);
            a[r][1] = _mm512_dpbusd_epi32(a[r][1], u, w1);
        }
    }
    v16i sums[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) {
        memcpy(&sums[r][0], &a[r][0], sizeof sums[r][0]);
        memcpy(&sums[r][1], &a[r][1], sizeof sums[r][1]);
    }
    gemm_i8_add_block(c, x, first_row, block, w, p, sums);
}

/// `gemm_panels_i8_widened` with `vpdpbusd` (8 rows a block: 16 accumulators).
GK_VNNI_TARGET static void gemm_panels_i8_dot(gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel,
                                              size_t end_panel) {
    gemm_i8_panels(gemm_i8_block_dot, x, rows, w, c, first_panel, end_panel, 8);
}
#endif

#endif
