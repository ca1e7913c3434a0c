// Kernels for AgentGantry: dot products, distances, scaling, top-k selection, transformer
// layers, a small-batch matrix product, AdamW, and CRC-32C.
//
// Each vector kernel is compiled three times from one body (src/, instantiated by dispatch.c):
// for plain x86-64 (SSE2), for AVX2+FMA and for AVX-512. The variant is chosen once at load
// time from CPUID and can be changed with gk_select_isa (or GANTRY_SIMD=generic|avx2 in the
// environment), never to an instruction set the CPU lacks. On other architectures only the
// generic variant exists. CRC-32C has a switch of its own (gk_crc32c_select). All functions
// are thread-safe; vectors are contiguous float32.
#ifndef GANTRY_KERNELS_H
#define GANTRY_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels a kernel variant is compiled for.
typedef enum {
    GK_ISA_GENERIC = 0,
    GK_ISA_AVX2 = 1,
    GK_ISA_AVX512 = 2,
} gk_isa;

/// CPU feature bits reported by gk_cpu_features (CPUID, with OS support checked).
enum {
    GK_CPU_SSE42 = 1u << 0,
    GK_CPU_AVX = 1u << 1,
    GK_CPU_AVX2 = 1u << 2,
    GK_CPU_FMA = 1u << 3,
    GK_CPU_AVX512F = 1u << 4,
    GK_CPU_AVX512CD = 1u << 5,
    GK_CPU_AVX512BW = 1u << 6,
    GK_CPU_AVX512DQ = 1u << 7,
    GK_CPU_AVX512VL = 1u << 8,
    GK_CPU_AVX512VNNI = 1u << 9,
    GK_CPU_AVX512BF16 = 1u << 10,
    /// AMX tiles with their 8-bit and bfloat16 products (AMX-TILE, AMX-INT8, AMX-BF16). Using
    /// them also takes the operating system's permission (gk_amx_permitted).
    GK_CPU_AMX = 1u << 11,
};

uint32_t gk_cpu_features(void);
/// The highest level this CPU runs.
gk_isa gk_best_isa(void);
/// The level the kernels use now.
gk_isa gk_active_isa(void);
/// Switches every kernel to `isa`; returns false (and changes nothing) if the CPU lacks it.
bool gk_select_isa(gk_isa isa);

/// sum_i a[i] * b[i]
float gk_dot(const float *a, const float *b, size_t count);
/// sum_i (a[i] - b[i])^2
float gk_l2sq(const float *a, const float *b, size_t count);
/// x[i] *= alpha
void gk_scale(float *x, float alpha, size_t count);
/// y[i] += alpha · x[i].
void gk_axpy(float alpha, const float *x, float *y, size_t count);
/// Σ_i q[i] · Σ_c rows_i[c] · q[s_i + c] for i < dim, s_i = 16·⌊i/16⌋, the rows (width − s_i
/// bfloat16 values each, as gk_bf16_round gives them; width a multiple of 16, q padded to it with
/// zeros) one after another in packed.
float gk_packed_quadratic(const uint16_t *packed, const float *q, size_t dim, size_t width);
/// x[i] += Σ_t weights[t] · row_t[i] (t < row_count; x only read without rows), row t stored
/// masked: bit i % 16 of masks[t][i / 16] set where values[t] holds row_t[i] (clear: 0), those
/// entries in order from values[t] (each values[t] is advanced past its row's values; a row with
/// every bit set is a dense row); then sums[0] = Σ x[i], sums[1] =
/// Σ x[i]² (float lanes totalled in double) and maxima[j] = the largest of
/// x[j·block ..< min((j + 1)·block, count)] for each j < ceil(count / block); block a multiple of 16.
void gk_add_masked_rows_summary(float *x, size_t count, const uint16_t *const *masks, const float **values,
                                const float *weights, size_t row_count, size_t block, double *sums, float *maxima);
/// One AdamW step over n parameters x with gradient g and moments m, v (updated in place).
/// settings: learning rate, weight decay, beta1, beta2, epsilon, 1 − beta1^t, 1 − beta2^t.
void gk_adamw(float *x, const float *g, float *m, float *v, size_t n, const float *settings);

/// out[i] = dot(rows + slots[i] * dim, query) for i < count: scores of scattered rows (graph
/// neighbors), four rows at a time while the next four are prefetched.
void gk_dot_gather(const float *rows, size_t dim, const int32_t *slots, size_t count, const float *query,
                   float *out);
/// gk_dot_gather over int8 rows each scaled by its own factor:
/// out[i] = scales[slots[i]] · dot(int8 rows + slots[i] * dim, query), rows prefetched likewise.
void gk_dot_gather_i8(const int8_t *rows, const float *scales, size_t dim, const int32_t *slots, size_t count,
                      const float *query, float *out);
/// Writes x · 127 / max|x| rounded to nearest even to `out` and returns max|x| / 127,
/// the row's scale for gk_dot_gather_i8 (0 for a zero row, written as zeros). x must be finite.
float gk_i8_row(const float *x, size_t count, int8_t *out);

/// A bounded selection of the best (score, id) pairs, in caller-owned buffers of `capacity`.
/// Order: higher score first, then lower id. Only scores of at least `floor` are selected
/// (-INFINITY: every score); NaN scores are never selected.
typedef struct {
    float *scores;
    int64_t *ids;
    size_t count;
    size_t capacity;
    float floor;
} gk_topk;

/// The k-th highest of values[0 ..< count] (1 ≤ k ≤ count; no NaN), counting repeats: sorted
/// descending, the value at position k − 1. A binary search over the values' order-preserving bit
/// patterns, each step counting 16 values at a time: 32 passes over them, no copy.
float gk_kth_highest(const float *values, size_t count, size_t k);
/// Offers scores[i] with id first_id + i for every i < count.
void gk_topk_push_scores(gk_topk *selection, const float *scores, size_t count, int64_t first_id);
/// Offers dot(rows[i], query) with id first_id + i; rows are `count` x `dim`, row-major, contiguous.
void gk_topk_push_dots(gk_topk *selection, const float *rows, size_t count, size_t dim,
                       const float *query, int64_t first_id);
/// Sorts the selection in place, best first; afterwards it must not be pushed to again.
void gk_topk_finish(gk_topk *selection);

// MARK: transformer kernels (row-major, contiguous rows of `dim` floats)

/// x[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta for each of `rows` rows.
void gk_layer_norm(float *x, size_t rows, size_t dim, const float *gamma, const float *beta, float eps);
/// x[i] = x[i] * (1 + erf(x[i] / sqrt 2)) / 2 (GELU, erf form; erf by a rational approximation
/// with |error| < 1e-7).
void gk_gelu(float *x, size_t count);
/// out[r] = base[r] + bias (base may be NULL: out[r] = bias), for `rows` rows.
void gk_add_bias_rows(float *out, const float *base, size_t rows, size_t dim, const float *bias);
/// Multi-head self-attention of one sequence of `length` tokens, heads first_head..<end_head.
/// `qkv` holds per token the query, key and value vectors side by side (row stride
/// 3·heads·head_dim); writes those heads' columns of the context (length × heads·head_dim) to
/// `out`. `scratch` needs (head_dim + 1)·⌈length/16⌉·16 floats.
void gk_attention(const float *qkv, size_t length, size_t heads, size_t head_dim, size_t first_head, size_t end_head,
                  float *out, float *scratch);
/// Packs w (k × n, row-major) into ⌈n/32⌉ panels of k × 32 floats (columns 32p..<32p+32,
/// zero-padded past n), the layout gk_gemm_panels reads. `panels` holds ⌈n/32⌉·32·k floats.
void gk_pack_panels(const float *w, size_t k, size_t n, float *panels);
/// c[r][j] += Σ_i x[r][i] · w[i][j] for r < rows and the columns of panels first_panel..<end_panel
/// (32 each): x is rows × k and c rows × n, row-major; w was packed by gk_pack_panels. No
/// packing per call, so it suits few rows and a reused w; split the panels between threads.
void gk_gemm_panels(const float *x, size_t rows, size_t k, const float *panels, size_t n, float *c, size_t first_panel, size_t end_panel);
/// gk_pack_panels for gk_gemm_panels_bf16: w (k × n) rounded to bfloat16 (nearest, ties to
/// even) in 32-column panels of row pairs, column j's (w[2q][j], w[2q+1][j]) side by side:
/// ⌈n/32⌉·⌈k/2⌉·64 values.
void gk_pack_panels_bf16(const float *w, size_t k, size_t n, uint16_t *panels);
/// out[i] = x[i] rounded to bfloat16 (nearest, ties to even), as its 16 bits.
void gk_bf16_round(const float *x, size_t count, uint16_t *out);
/// x (rows × k) rounded to bfloat16 as pairs: pairs[r·⌈k/2⌉ + q] holds x[r][2q] in its low and
/// x[r][2q+1] in its high 16 bits (0 past k).
void gk_bf16_pairs(const float *x, size_t rows, size_t k, uint32_t *pairs);
/// gk_gemm_panels on bfloat16 inputs: c[r][j] += Σ_i x[r][i]·w[i][j] with x as gk_bf16_pairs
/// gives it (pair_count = ⌈k/2⌉) and w packed by gk_pack_panels_bf16; products exact, sums in
/// float. Runs on AMX tiles where gk_amx_active(), else uses `vdpbf16ps` where
/// gk_bf16_dot_active(), else float FMAs on the widened values.
void gk_gemm_panels_bf16(const uint32_t *pairs, size_t rows, size_t pair_count, const uint16_t *panels, size_t n, float *c,
                         size_t first_panel, size_t end_panel);
/// The table's kernel behind gk_gemm_panels_bf16 when `vdpbf16ps` is not used.
void gk_gemm_panels_bf16_widened(const uint32_t *pairs, size_t rows, size_t pair_count, const uint16_t *panels, size_t n,
                                 float *c, size_t first_panel, size_t end_panel);
/// Whether gk_gemm_panels_bf16 uses `vdpbf16ps` (AVX-512 BF16 with the AVX-512 variant active;
/// gk_select_isa chooses it where it can).
bool gk_bf16_dot_active(void);
/// Turns `vdpbf16ps` on or off for gk_gemm_panels_bf16 (tests compare both); false when asked
/// to turn it on where it is not available.
bool gk_use_bf16_dot(bool use);
/// A weight kept exactly beside the 8-bit codes (whose code is 0): w[row][column] = value.
typedef struct {
    int32_t row;
    int32_t column;
    float value;
} gk_i8_weight_outlier;
/// How many weights of w (k × n) gk_i8_quantise_columns keeps exactly: those beyond 6 times their
/// column's root mean square.
size_t gk_i8_weight_outlier_count(const float *w, size_t k, size_t n);
/// Each column of w (k × n, row-major) rounded to 8-bit codes (k × n, row-major, −127…127):
/// scales[j] = the largest |w[i][j]| of the column's weights but its outliers / 127 (0 where there
/// is none), codes w / scales[j] rounded to nearest, ties to even. The outliers
/// (gk_i8_weight_outlier_count of them) get code 0 and are listed column by column, rows ascending.
void gk_i8_quantise_columns(const float *w, size_t k, size_t n, int8_t *codes, float *scales, gk_i8_weight_outlier *outliers);
/// gk_pack_panels for gk_gemm_panels_i8: codes (k × n, row-major, −127…127) in 32-column panels
/// of row quads, column j's four codes side by side: ⌈n/32⌉·⌈k/4⌉·128 bytes; `panel_scales` (the
/// column scales) and `sums` (each column's sum of codes) hold ⌈n/32⌉·32 values, 0 past n.
/// `outliers` (outlier_count weights kept exactly, code 0) must be listed by column, ascending;
/// panel p's are those from outlier_starts[p] to outlier_starts[p + 1] (⌈n/32⌉ + 1 values).
void gk_pack_panels_i8(const int8_t *codes, const float *scales, size_t k, size_t n, const gk_i8_weight_outlier *outliers,
                       size_t outlier_count, int8_t *panels, float *panel_scales, int32_t *sums, int32_t *outlier_starts);
/// Outlier slots per row of gk_u8_quads.
#define GK_I8_OUTLIERS 8
/// x (rows × k) as unsigned bytes per row: x ≈ scales[r]·(u − zeros[r]) + its outliers, u in
/// 0…255 over the row's range with 0 in it; quads[r·⌈k/4⌉ + q] holds u of x[r][4q…4q+3], low byte
/// first (0 past k). A row's outliers (values beyond 6 times its root mean square; the largest
/// GK_I8_OUTLIERS of them) are quantised as 0 and listed: outlier_counts[r] of them, positions and
/// values at outlier_indices / outlier_values[r·GK_I8_OUTLIERS …], largest first.
void gk_u8_quads(const float *x, size_t rows, size_t k, uint32_t *quads, float *scales, int32_t *zeros, int32_t *outlier_counts,
                 int32_t *outlier_indices, float *outlier_values);
/// The rows of one 8-bit product: as given (x, rows × k, for the outlier weights) and as
/// gk_u8_quads wrote them (⌈k/4⌉ quads a row).
typedef struct {
    const float *x;
    size_t k;
    const uint32_t *quads;
    const float *scales;
    const int32_t *zeros;
    const int32_t *outlier_counts;
    const int32_t *outlier_indices;
    const float *outlier_values;
} gk_i8_rows;
/// The weights of one 8-bit product, as gk_pack_panels_i8 wrote them, n columns.
typedef struct {
    const int8_t *panels;
    const float *scales;
    const int32_t *sums;
    const int32_t *outlier_starts;
    const gk_i8_weight_outlier *outliers;
    size_t n;
} gk_i8_weights;
/// gk_gemm_panels on 8-bit inputs: c[r][j] += row scale·column scale·(Σ_i u·code − row zero·column
/// sum of codes) + Σ over the row's outliers of value·column scale·code + Σ over the column's
/// outlier weights of x[r][row]·value; the integer sums exact.
/// Runs on AMX tiles where gk_amx_active(), else uses `vpdpbusd` where gk_i8_dot_active(), else
/// integer multiply-adds on the widened bytes (the same sums every way).
void gk_gemm_panels_i8(gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel, size_t end_panel);
/// The table's kernel behind gk_gemm_panels_i8 when `vpdpbusd` is not used.
void gk_gemm_panels_i8_widened(gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel, size_t end_panel);
/// Whether gk_gemm_panels_i8 uses `vpdpbusd` (AVX-512 VNNI and BW with the AVX-512 variant
/// active; gk_select_isa chooses it where it can).
bool gk_i8_dot_active(void);
/// Turns `vpdpbusd` on or off for gk_gemm_panels_i8 (tests compare both); false when asked to
/// turn it on where it is not available.
bool gk_use_i8_dot(bool use);

// MARK: tile products (AMX)

/// Whether this process may use AMX tiles: the CPU has them (GK_CPU_AMX) and the operating
/// system granted their state (on Linux, arch_prctl(ARCH_REQ_XCOMP_PERM), asked for once, on the
/// first call: a process that never calls this never asks).
bool gk_amx_permitted(void);
/// Whether gk_gemm_panels_bf16 and gk_gemm_panels_i8 run on AMX tiles (`tdpbf16ps`, `tdpbusd`):
/// by default where gk_amx_permitted() and the AVX-512 variant is active. The 8-bit sums are the
/// same integers as without; bfloat16 products are exact either way, their sums in float in
/// another order.
bool gk_amx_active(void);
/// Turns the tile products on or off (tests and comparisons); false when asked to turn them on
/// where they are not available. With them off, each product uses its dot-product instruction
/// where active (gk_bf16_dot_active, gk_i8_dot_active).
bool gk_use_amx(bool use);

// MARK: CRC-32C

/// CRC-32C (Castagnoli) of `count` bytes, continuing from `crc` (start with 0). Uses the
/// SSE4.2 crc32 instruction where present (about 10 GB/s), a table otherwise.
uint32_t gk_crc32c(uint32_t crc, const void *bytes, size_t count);

/// The ways gk_crc32c can compute: a byte-wise table anywhere, the SSE4.2 instruction on x86-64.
typedef enum {
    GK_CRC32C_PORTABLE = 0,
    GK_CRC32C_SSE42 = 1,
} gk_crc32c_path;

/// The fastest path this CPU runs (chosen at load time).
gk_crc32c_path gk_crc32c_best_path(void);
/// The path gk_crc32c uses now.
gk_crc32c_path gk_crc32c_active_path(void);
/// Switches gk_crc32c to `path` (for tests and comparisons); returns false (and changes
/// nothing) if the CPU lacks it. Independent of gk_select_isa.
bool gk_crc32c_select(gk_crc32c_path path);

/// One spin-wait hint to the CPU (x86 `pause`, ARM `yield`): for loops that poll memory
/// another thread writes (WorkerPool), so the polling thread yields pipeline resources.
static inline void gk_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
