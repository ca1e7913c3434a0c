// The bfloat16 and 8-bit panel products (gemm_bf16.h, gemm_i8.h) on AMX tiles: `tdpbf16ps` and
// `tdpbusd` multiply a block of 16 rows by 16 columns over 32 k-values (bfloat16) or 64 (bytes)
// in one instruction: 512 or 1,024 multiply-adds per cycle, 8–16 times what the AVX-512
// dot-product instructions reach.
//
// The panels need no other packing: a panel's k-pair (bfloat16) or k-quad (bytes) is 128 bytes,
// columns 0–15 in the first 64 and 16–31 in the next, which is a row of a tile's right operand
// twice over. So one operand tile is 16 consecutive k-pairs or k-quads of one half-panel (rows
// 128 bytes apart), and the left operand 16 k-pairs or k-quads of up to 16 input rows (rows
// ⌈k/2⌉ or ⌈k/4⌉ words apart, as bf16_pairs and u8_quads wrote them).
//
// Tiles: up to 32 rows at a time, in two blocks of 16: 0 and 1 hold the first block's sums (its
// rows × the panel's two halves of 16 columns), 2 and 3 the second block's; 4 and 5 the blocks'
// inputs for 16 k-steps, 6 and 7 the two halves' weights for them, loaded once for both blocks.
// Where fewer than 16 k-steps remain at the end, they are copied, zero-padded, and run as a whole
// 16. A panel's sums leave the tiles once, for the same finishing code as the dot-product
// kernels: the 8-bit results equal theirs to the last bit (same integer sums), the bfloat16 ones
// differ only in the order of float additions.
//
// Order: 32 rows at a time over all the panels, so the rows' outputs (32 × n floats) stay in L2
// while they are added to; the weights of one matrix (0.3–1.2 MB for MiniLM at bfloat16) stay
// there too, across the groups. (Panels outer and rows inner, the outputs are read and written
// a 128-byte strip per row, 6 KB apart: 8% slower on one thread at 1,900 rows, measured.)

#ifndef GK_GEMM_AMX_H
#define GK_GEMM_AMX_H

#if defined(__x86_64__)
#include <immintrin.h>

#include "gemm_bf16.h"
#include "gemm_i8.h"

#define GK_AMX_TARGET __attribute__((target("amx-tile,amx-int8,amx-bf16,avx512f,avx512vl,avx512bw,avx2,fma")))

/// Rows of a tile block; a group is two blocks.
#define GK_AMX_ROWS 16

/// The 64-byte operand of `ldtilecfg` (palette 1).
typedef struct {
    uint8_t palette;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t bytes_per_row[16];
    uint8_t rows[16];
} amx_tile_config;

/// Configures the tiles for a group of `rows` input rows (1…32; the layout above).
GK_AMX_TARGET static inline void amx_configure(size_t rows) {
    size_t first = rows < GK_AMX_ROWS ? rows : GK_AMX_ROWS, second = rows - first;
    amx_tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    const uint8_t tile_rows[8] = {(uint8_t)first, (uint8_t)first, (uint8_t)second, (uint8_t)second, (uint8_t)first, (uint8_t)second, 16, 16};
    for (int t = 0; t < 8; t++) {
        config.bytes_per_row[t] = tile_rows[t] > 0 ? 64 : 0;
        config.rows[t] = tile_rows[t];
    }
    _tile_loadconfig(&config);
}

/// Tile sums of a group (up to 32 rows × 32 columns: a row's 32 values side by side).
typedef struct {
    _Alignas(64) int32_t words[2 * GK_AMX_ROWS * 32];
} amx_group_sums;

/// Sums of `rows` rows (1…32, as configured) of steps (4-byte words: a k-pair or a k-quad; `count`
/// a row, from `x`) × one panel (`count` steps of 128 bytes from `panel`) into `sums`; `integers`
/// picks `tdpbusd` (bytes) over `tdpbf16ps` (bfloat16 pairs).
GK_AMX_TARGET GK_INLINE void amx_group(const uint32_t *x, size_t rows, size_t count, const void *panel, bool integers,
                                       amx_group_sums *sums) {
#define AMX_PRODUCT(c, a, b) (integers ? _tile_dpbusd(c, a, b) : _tile_dpbf16ps(c, a, b))
    const char *weights = (const char *)panel;
    size_t whole = count / 16 * 16, stride = 4 * count;
    bool second = rows > GK_AMX_ROWS;
    _tile_zero(0);
    _tile_zero(1);
    if (second) {
        _tile_zero(2);
        _tile_zero(3);
    }
    for (size_t q = 0; q < whole; q += 16) {
        _tile_loadd(6, weights + 128 * q, 128);
        _tile_loadd(7, weights + 128 * q + 64, 128);
        _tile_loadd(4, x + q, stride);
        AMX_PRODUCT(0, 4, 6);
        AMX_PRODUCT(1, 4, 7);
        if (second) {
            _tile_loadd(5, x + GK_AMX_ROWS * count + q, stride);
            AMX_PRODUCT(2, 5, 6);
            AMX_PRODUCT(3, 5, 7);
        }
    }
    if (whole < count) {
        // The last steps, zero-padded to 16: the rows' and the panel's.
        _Alignas(64) uint32_t tail_x[2 * GK_AMX_ROWS * 16];
        _Alignas(64) char tail_w[16 * 128];
        size_t tail = count - whole;
        memset(tail_x, 0, sizeof tail_x);
        memset(tail_w, 0, sizeof tail_w);
        for (size_t r = 0; r < rows; r++) memcpy(tail_x + 16 * r, x + r * count + whole, 4 * tail);
        memcpy(tail_w, weights + 128 * whole, 128 * tail);
        _tile_loadd(6, tail_w, 128);
        _tile_loadd(7, tail_w + 64, 128);
        _tile_loadd(4, tail_x, 64);
        AMX_PRODUCT(0, 4, 6);
        AMX_PRODUCT(1, 4, 7);
        if (second) {
            _tile_loadd(5, tail_x + 16 * GK_AMX_ROWS, 64);
            AMX_PRODUCT(2, 5, 6);
            AMX_PRODUCT(3, 5, 7);
        }
    }
    _tile_stored(0, sums->words, 128);
    _tile_stored(1, sums->words + 16, 128);
    if (second) {
        _tile_stored(2, sums->words + 32 * GK_AMX_ROWS, 128);
        _tile_stored(3, sums->words + 32 * GK_AMX_ROWS + 16, 128);
    }
#undef AMX_PRODUCT
}

/// Runs `GROUP(first_row, rows)` for each group of rows 0..<rows (32 but the last) and each panel
/// first_panel..<end_panel (`p`), tiles configured, in the order above.
#define AMX_GROUPS(rows, first_panel, end_panel, GROUP)                                        \
    do {                                                                                       \
        size_t amx_configured = 0;                                                             \
        for (size_t g = 0; g < (rows); g += 2 * GK_AMX_ROWS) {                                 \
            size_t amx_rows = (rows) - g < 2 * GK_AMX_ROWS ? (rows) - g : 2 * GK_AMX_ROWS;     \
            if (amx_rows != amx_configured) amx_configure(amx_configured = amx_rows);          \
            for (size_t p = (first_panel); p < (end_panel); p++) GROUP(g, amx_rows);           \
        }                                                                                      \
        _tile_release();                                                                       \
    } while (0)

/// gemm_panels_bf16_dot on tiles.
GK_AMX_TARGET static void gemm_panels_bf16_amx(const uint32_t *xp, size_t rows, size_t pairs, const uint16_t *panels,
                                               size_t n, float *c, size_t first_panel, size_t end_panel) {
    amx_group_sums sums;
#define BF16_GROUP(first_row, group)                                                           \
    do {                                                                                       \
        amx_group(xp + (first_row) * pairs, group, pairs, panels + p * pairs * 64, false, &sums); \
        size_t j = 32 * p, cols = n - j < 32 ? n - j : 32;                                     \
        for (size_t r = 0; r < (group); r += GEMM_MAX_ROWS) {                                  \
            size_t part = (group) - r < GEMM_MAX_ROWS ? (group) - r : GEMM_MAX_ROWS;           \
            v16f out[GEMM_MAX_ROWS][2];                                                        \
            memcpy(out, sums.words + 32 * r, part * sizeof out[0]);                            \
            gemm_add_block(c + ((first_row) + r) * n + j, n, part, cols, out);                 \
        }                                                                                      \
    } while (0)
    AMX_GROUPS(rows, first_panel, end_panel, BF16_GROUP);
#undef BF16_GROUP
}

/// gemm_panels_i8_dot on tiles.
GK_AMX_TARGET static void gemm_panels_i8_amx(gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel,
                                             size_t end_panel) {
    size_t count = (x.k + 3) / 4;
    amx_group_sums sums;
#define I8_GROUP(first_row, group)                                                             \
    do {                                                                                       \
        amx_group(x.quads + (first_row) * count, group, count, w.panels + p * count * 128, true, &sums); \
        for (size_t r = 0; r < (group); r += GEMM_MAX_ROWS) {                                  \
            size_t part = (group) - r < GEMM_MAX_ROWS ? (group) - r : GEMM_MAX_ROWS;           \
            v16i out[GEMM_MAX_ROWS][2];                                                        \
            memcpy(out, sums.words + 32 * r, part * sizeof out[0]);                            \
            gemm_i8_add_block(c, x, (first_row) + r, part, w, p, out);                         \
        }                                                                                      \
    } while (0)
    AMX_GROUPS(rows, first_panel, end_panel, I8_GROUP);
#undef I8_GROUP
}
#endif

#endif
