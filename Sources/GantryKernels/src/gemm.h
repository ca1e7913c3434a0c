// Small-batch matrix product against a weight matrix packed once into column panels.
// Static inline bodies, instantiated per instruction set by dispatch.c.
#ifndef GK_GEMM_H
#define GK_GEMM_H

#include "simd.h"

// C[r][j] += Σ_i X[r][i] · W[i][j] with W (K × N) packed once, ahead of use, into 32-column
// panels: panel p holds rows i = 0..<K of columns 32p..<32p+32 contiguously (zero-padded past N).
// No packing per call, which is what makes a few rows (one sentence) cost as much as an OpenBLAS
// call spends repacking its operand, and the panel streams sequentially (the prefetchers follow
// it; a row-major W would stride a page per row). The microkernel keeps up to 8 rows × 32 columns of C
// in registers (16 zmm under AVX-512), broadcasting X values; a panel (48-192 KB) stays in L2
// while every row block passes over it.

#define GEMM_MAX_ROWS 8

/// Adds a block's sums (`rows` rows × 32 columns, two vectors a row) into c, `cols` columns wide.
GK_INLINE void gemm_add_block(float *c, size_t ldc, size_t rows, size_t cols, v16f sums[][2]) {
    for (size_t r = 0; r < rows; r++) {
        if (cols == 32) {
            store16(c + r * ldc, load16(c + r * ldc) + sums[r][0]);
            store16(c + r * ldc + 16, load16(c + r * ldc + 16) + sums[r][1]);
        } else {
            float spill[32];
            store16(spill, sums[r][0]);
            store16(spill + 16, sums[r][1]);
            for (size_t j = 0; j < cols; j++) c[r * ldc + j] += spill[j];
        }
    }
}

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
    gemm_add_block(c, ldc, rows, cols, a);
}

/// Calls `BLOCK(r, count)` over rows 0..<rows: blocks of `block` rows, then the remaining rows in
/// one call whose count is a literal (1…7), so that each tail count gets its own unrolled block.
#define GEMM_ROW_BLOCKS(rows, block, BLOCK)                                                    \
    do {                                                                                       \
        size_t gemm_row = 0;                                                                   \
        for (; gemm_row + (block) <= (rows); gemm_row += (block)) BLOCK(gemm_row, (block));   \
        switch ((rows) - gemm_row) {                                                           \
        case 1: BLOCK(gemm_row, 1); break;                                                     \
        case 2: BLOCK(gemm_row, 2); break;                                                     \
        case 3: BLOCK(gemm_row, 3); break;                                                     \
        case 4: BLOCK(gemm_row, 4); break;                                                     \
        case 5: BLOCK(gemm_row, 5); break;                                                     \
        case 6: BLOCK(gemm_row, 6); break;                                                     \
        case 7: BLOCK(gemm_row, 7); break;                                                     \
        default: break;                                                                        \
        }                                                                                      \
    } while (0)

/// `block` (a constant per instruction set) rows share each panel load: 8 under AVX-512 (16
/// accumulators, enough to cover the FMA latency), 2 where 16 floats take two or four registers.
GK_INLINE void gemm_panels_blocked(const float *x, size_t rows, size_t k, const float *panels, size_t n, float *c,
                         size_t first_panel, size_t end_panel, const size_t block) {
    for (size_t p = first_panel; p < end_panel; p++) {
        const float *panel = panels + p * k * 32;
        size_t j = 32 * p, cols = n - j < 32 ? n - j : 32;
#define GEMM_FLOAT_BLOCK(r, count) gemm_block(x + (r) * k, k, panel, c + (r) * n + j, n, k, count, count, cols)
        GEMM_ROW_BLOCKS(rows, block, GEMM_FLOAT_BLOCK);
#undef GEMM_FLOAT_BLOCK
    }
}

/// The body dispatch.c instantiates: each variant defines GK_GEMM_ROWS, its `block`, before its
/// wrappers expand (see variant.h).
#define gemm_panels_impl(...) gemm_panels_blocked(__VA_ARGS__, GK_GEMM_ROWS)

/// The packing is memory-bound and runs once per weight matrix, so it has a single variant.
static inline void pack_panels_impl(const float *w, size_t k, size_t n, float *panels) {
    size_t count = (n + 31) / 32;
    for (size_t p = 0; p < count; p++) {
        for (size_t i = 0; i < k; i++) {
            float *out = panels + (p * k + i) * 32;
            for (size_t j = 0; j < 32; j++) out[j] = 32 * p + j < n ? w[i * n + 32 * p + j] : 0.0f;
        }
    }
}

#endif
