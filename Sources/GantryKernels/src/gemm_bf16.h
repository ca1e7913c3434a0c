// The packed-panel product of gemm.h with bfloat16 weights and activations: half the bytes of
// weights to stream, and on CPUs with AVX-512 BF16 the `vdpbf16ps` instruction, which does
// twice the multiply-adds of a float FMA per instruction. Products of two bfloat16 values are
// exact in float and sums are kept in float, so the only rounding added to the float path is
// that of the inputs (each to the nearest bfloat16, ties to even).
//
// Layout. x is converted once per call into pairs: row r, pair q holds bf16(x[r][2q]) in its low
// 16 bits and bf16(x[r][2q+1]) in its high 16 bits (0 past k). Weights are packed into 32-column
// panels of k-pairs: panel p, pair q is 64 values, column j's (W[2q][j], W[2q+1][j]) at 2j and
// 2j+1, which is the operand layout of `vdpbf16ps` (lane j: a[2j]·b[2j] + a[2j+1]·b[2j+1]). Where
// the instruction is missing, a 32-bit lane of a pair widens to its two floats with one shift and
// one mask, and two float FMAs do its work, so both kernels compute the same rounded products.
#ifndef GK_GEMM_BF16_H
#define GK_GEMM_BF16_H

#include "gemm.h"

/// Rows of x (rows × k) as bfloat16 pairs (rows × ⌈k/2⌉), the layout above: 32 values at a time,
/// each rounded in its 32-bit lane (as bf16_bits does), then the even lanes' upper halves moved
/// down beside the odd lanes'.
GK_INLINE void bf16_pairs_impl(const float *x, size_t rows, size_t k, uint32_t *pairs) {
    size_t count = (k + 1) / 2;
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * k;
        uint32_t *out = pairs + r * count;
        size_t i = 0;
        for (; i + 32 <= k; i += 32) {
            v16u32 rounded[2];
            for (int h = 0; h < 2; h++) {
                v16u32 bits;
                memcpy(&bits, row + i + 16 * h, sizeof bits);
                rounded[h] = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;
            }
            v16u32 even = __builtin_shufflevector(rounded[0], rounded[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            v16u32 odd = __builtin_shufflevector(rounded[0], rounded[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            v16u32 pair = even >> 16 | odd;
            memcpy(out + i / 2, &pair, sizeof pair);
        }
        for (size_t q = i / 2; q < count; q++) {
            uint32_t low = bf16_bits(row[2 * q]), high = 2 * q + 1 < k ? bf16_bits(row[2 * q + 1]) : 0;
            out[q] = low | high << 16;
        }
    }
}

/// w (k × n, row-major) into panels of k-pairs, the layout above; ⌈n/32⌉·⌈k/2⌉·64 values.
static inline void pack_panels_bf16_impl(const float *w, size_t k, size_t n, uint16_t *panels) {
    size_t count = (n + 31) / 32, pairs = (k + 1) / 2;
    for (size_t p = 0; p < count; p++) {
        for (size_t q = 0; q < pairs; q++) {
            uint16_t *out = panels + (p * pairs + q) * 64;
            for (size_t j = 0; j < 32; j++) {
                for (size_t h = 0; h < 2; h++) {
                    size_t row = 2 * q + h, column = 32 * p + j;
                    out[2 * j + h] = row < k && column < n ? bf16_bits(w[row * n + column]) : 0;
                }
            }
        }
    }
}

/// The two floats of each 32-bit lane of a pair vector: the low half's and the high half's.
GK_INLINE v16f bf16_low(v16i lanes) {
    v16i bits = lanes << 16;
    v16f out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

GK_INLINE v16f bf16_high(v16i lanes) {
    v16i bits = lanes & (v16i)(int)0xFFFF0000;
    v16f out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

/// One block of `block` rows × one panel, without the instruction: pairs widened, float FMAs.
GK_INLINE void gemm_bf16_block_widened(const uint32_t *xp, size_t pairs, const uint16_t *panel, float *c, size_t ldc,
                                       size_t block, size_t cols) {
    v16f a[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) a[r][0] = a[r][1] = 0;
    for (size_t q = 0; q < pairs; q++) {
        v16i w0 = load16i(panel + 64 * q), w1 = load16i(panel + 64 * q + 32);
        v16f w0low = bf16_low(w0), w0high = bf16_high(w0), w1low = bf16_low(w1), w1high = bf16_high(w1);
        for (size_t r = 0; r < block; r++) {
            uint32_t pair = xp[r * pairs + q], lowBits = pair << 16, highBits = pair & 0xFFFF0000u;
            float low, high;
            memcpy(&low, &lowBits, sizeof low);
            memcpy(&high, &highBits, sizeof high);
            a[r][0] += (v16f)low * w0low + (v16f)high * w0high;
            a[r][1] += (v16f)low * w1low + (v16f)high * w1high;
        }
    }
    gemm_add_block(c, ldc, block, cols, a);
}

/// One block kernel of this file: `block` rows of pairs × one panel, added into c.
typedef void (*gemm_bf16_block_kernel)(const uint32_t *xp, size_t pairs, const uint16_t *panel, float *c, size_t ldc,
                                       size_t block, size_t cols);

/// c[r][j] += Σ x[r][i]·w[i][j] over panels first_panel..<end_panel, x as pairs (`bf16_pairs`),
/// w packed by `pack_panels_bf16`, `block` rows per pass over a panel as in gemm.h; `kernel` (a
/// constant once inlined, as are the block sizes) does a block.
GK_INLINE void gemm_bf16_panels(gemm_bf16_block_kernel kernel, const uint32_t *xp, size_t rows, size_t pairs,
                                const uint16_t *panels, size_t n, float *c, size_t first_panel, size_t end_panel,
                                const size_t block) {
    for (size_t p = first_panel; p < end_panel; p++) {
        const uint16_t *panel = panels + p * pairs * 64;
        size_t j = 32 * p, cols = n - j < 32 ? n - j : 32;
#define GEMM_BF16_BLOCK(r, count) kernel(xp + (r) * pairs, pairs, panel, c + (r) * n + j, n, count, cols)
        GEMM_ROW_BLOCKS(rows, block, GEMM_BF16_BLOCK);
#undef GEMM_BF16_BLOCK
    }
}

#define gemm_panels_bf16_widened_impl(...) gemm_bf16_panels(gemm_bf16_block_widened, __VA_ARGS__, GK_GEMM_ROWS)

#if defined(__x86_64__)
#include <immintrin.h>

#define GK_BF16_TARGET __attribute__((target("avx512f,avx512vl,avx512bf16,avx2,fma")))

/// One block of `block` rows × one panel with `vdpbf16ps`: a k-pair of 32 columns is two
/// instructions per row.
GK_BF16_TARGET GK_INLINE void gemm_bf16_block_dot(const uint32_t *xp, size_t pairs, const uint16_t *panel, float *c, size_t ldc,
                                                  size_t block, size_t cols) {
    __m512 a[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) a[r][0] = a[r][1] = _mm512_setzero_ps();
    for (size_t q = 0; q < pairs; q++) {
        __m512bh w0 = (__m512bh)_mm512_loadu_si512(panel + 64 * q), w1 = (__m512bh)_mm512_loadu_si512(panel + 64 * q + 32);
        for (size_t r = 0; r < block; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)xp[r * pairs + q]);
            a[r][0] = _mm512_dpbf16_ps(a[r][0], x, w0);
            a[r][1] = _mm512_dpbf16_ps(a[r][1], x, w1);
        }
    }
    v16f sums[GEMM_MAX_ROWS][2];
    for (size_t r = 0; r < block; r++) {
        memcpy(&sums[r][0], &a[r][0], sizeof sums[r][0]);
        memcpy(&sums[r][1], &a[r][1], sizeof sums[r][1]);
    }
    gemm_add_block(c, ldc, block, cols, sums);
}

/// `gemm_panels_bf16_widened` with `vdpbf16ps` (8 rows a block: 16 accumulators).
GK_BF16_TARGET static void gemm_panels_bf16_dot(const uint32_t *xp, size_t rows, size_t pairs, const uint16_t *panels, size_t n,
                                                float *c, size_t first_panel, size_t end_panel) {
    gemm_bf16_panels(gemm_bf16_block_dot, xp, rows, pairs, panels, n, c, first_panel, end_panel, 8);
}
#endif

#endif
