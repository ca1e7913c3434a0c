// The dispatched kernels: each one compiled per instruction set from one body, one table of
// them per variant, the public `gk_*` entry points, and the choice of table at load time.
//
// The bodies live in src/ (vector, top-k, transformer, gemm, optimizer), written once in
// 16-float clang vectors (src/simd.h). src/kernels.h lists the kernels; src/variant.h turns the
// list into `target`-attributed wrappers and a table per instruction set. A call costs one
// indirect branch through the active table.
#include "GantryKernels.h"

#include <stdlib.h>
#include <string.h>

#include "src/gemm.h"
#include "src/gemm_amx.h"
#include "src/gemm_bf16.h"
#include "src/gemm_i8.h"
#include "src/kernels.h"
#include "src/optimizer.h"
#include "src/simd.h"
#include "src/topk.h"
#include "src/transformer.h"
#include "src/vector.h"

/// One function pointer per kernel, named after it.
typedef struct {
#define GK_FIELD(name, type, parameters, arguments) type(*name) parameters;
    GK_KERNELS(GK_FIELD)
#undef GK_FIELD
} gk_table;

// MARK: variants

#define GK_VARIANT generic
#define GK_TARGET
#define GK_GEMM_ROWS 2
#define GK_EXPAND16 expand16_generic
#include "src/variant.h"

#if defined(__x86_64__)
#define GK_VARIANT avx2
#define GK_TARGET __attribute__((target("avx2,fma")))
#define GK_GEMM_ROWS 2
#define GK_EXPAND16 expand16_generic
#include "src/variant.h"

#define GK_VARIANT avx512
#define GK_TARGET __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define GK_GEMM_ROWS 8
#define GK_EXPAND16 expand16_avx512
#include "src/variant.h"
#endif

static const gk_table *const tables[] = {
    [GK_ISA_GENERIC] = &table_generic,
#if defined(__x86_64__)
    [GK_ISA_AVX2] = &table_avx2,
    [GK_ISA_AVX512] = &table_avx512,
#endif
};

// MARK: choice of variant

static const gk_table *active_table = &table_generic;
static gk_isa active_isa = GK_ISA_GENERIC;

gk_isa gk_best_isa(void) {
    uint32_t f = gk_cpu_features();
    if ((f & GK_CPU_AVX512F) && (f & GK_CPU_AVX512VL) && (f & GK_CPU_AVX2) && (f & GK_CPU_FMA)) return GK_ISA_AVX512;
    if ((f & GK_CPU_AVX2) && (f & GK_CPU_FMA)) return GK_ISA_AVX2;
    return GK_ISA_GENERIC;
}

gk_isa gk_active_isa(void) { return __atomic_load_n(&active_isa, __ATOMIC_ACQUIRE); }

/// Whether gk_gemm_panels_bf16 uses `vdpbf16ps`: by default where the CPU has it and AVX-512 is
/// the active variant.
static bool bf16_dot = false;

static bool bf16_dot_available(void) {
#if defined(__x86_64__)
    return gk_active_isa() == GK_ISA_AVX512 && (gk_cpu_features() & GK_CPU_AVX512BF16);
#else
    return false;
#endif
}

/// Whether gk_gemm_panels_i8 uses `vpdpbusd`: by default where the CPU has it and AVX-512 is the
/// active variant.
static bool i8_dot = false;

static bool i8_dot_available(void) {
#if defined(__x86_64__)
    uint32_t needed = GK_CPU_AVX512VNNI | GK_CPU_AVX512BW;
    return gk_active_isa() == GK_ISA_AVX512 && (gk_cpu_features() & needed) == needed;
#else
    return false;
#endif
}

/// Whether the bfloat16 and 8-bit products run on AMX tiles: by default where the CPU has them and
/// AVX-512 is the active variant, once the operating system grants them (asked at the first use).
static bool amx = false;

static bool amx_available(void) {
#if defined(__x86_64__)
    return gk_active_isa() == GK_ISA_AVX512 && (gk_cpu_features() & GK_CPU_AMX);
#else
    return false;
#endif
}

bool gk_select_isa(gk_isa isa) {
    if (isa > gk_best_isa()) return false;
    __atomic_store_n(&active_table, tables[isa], __ATOMIC_RELEASE);
    __atomic_store_n(&active_isa, isa, __ATOMIC_RELEASE);
    __atomic_store_n(&bf16_dot, bf16_dot_available(), __ATOMIC_RELEASE);
    __atomic_store_n(&i8_dot, i8_dot_available(), __ATOMIC_RELEASE);
    __atomic_store_n(&amx, amx_available(), __ATOMIC_RELEASE);
    return true;
}

bool gk_use_bf16_dot(bool use) {
    if (use && !bf16_dot_available()) return false;
    __atomic_store_n(&bf16_dot, use, __ATOMIC_RELEASE);
    return true;
}

bool gk_bf16_dot_active(void) { return __atomic_load_n(&bf16_dot, __ATOMIC_ACQUIRE); }

bool gk_use_i8_dot(bool use) {
    if (use && !i8_dot_available()) return false;
    __atomic_store_n(&i8_dot, use, __ATOMIC_RELEASE);
    return true;
}

bool gk_i8_dot_active(void) { return __atomic_load_n(&i8_dot, __ATOMIC_ACQUIRE); }

bool gk_use_amx(bool use) {
    if (use && !(amx_available() && gk_amx_permitted())) return false;
    __atomic_store_n(&amx, use, __ATOMIC_RELEASE);
    return true;
}

bool gk_amx_active(void) { return __atomic_load_n(&amx, __ATOMIC_ACQUIRE) && gk_amx_permitted(); }

__attribute__((constructor)) static void gk_choose_at_load(void) {
    gk_isa isa = gk_best_isa();
    const char *wanted = getenv("GANTRY_SIMD");
    if (wanted) {
        if (strcmp(wanted, "generic") == 0) isa = GK_ISA_GENERIC;
        else if (strcmp(wanted, "avx2") == 0 && isa >= GK_ISA_AVX2) isa = GK_ISA_AVX2;
    }
    gk_select_isa(isa);
}

// MARK: entry points

#define GK_ENTRY(name, type, parameters, arguments)                                              \
    type gk_##name parameters {                                                                  \
        GK_RETURN(type) __atomic_load_n(&active_table, __ATOMIC_ACQUIRE)->name arguments;        \
    }
GK_KERNELS(GK_ENTRY)
#undef GK_ENTRY

// Single-variant entry points: scalar or memory-bound work that gains nothing from wide vectors.

void gk_pack_panels(const float *w, size_t k, size_t n, float *panels) { pack_panels_impl(w, k, n, panels); }

void gk_pack_panels_bf16(const float *w, size_t k, size_t n, uint16_t *panels) { pack_panels_bf16_impl(w, k, n, panels); }

void gk_bf16_round(const float *x, size_t count, uint16_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = bf16_bits(x[i]);
}

void gk_gemm_panels_bf16(const uint32_t *pairs, size_t rows, size_t pair_count, const uint16_t *panels, size_t n, float *c,
                         size_t first_panel, size_t end_panel) {
#if defined(__x86_64__)
    if (gk_amx_active()) {
        gemm_panels_bf16_amx(pairs, rows, pair_count, panels, n, c, first_panel, end_panel);
        return;
    }
    if (gk_bf16_dot_active()) {
        gemm_panels_bf16_dot(pairs, rows, pair_count, panels, n, c, first_panel, end_panel);
        return;
    }
#endif
    gk_gemm_panels_bf16_widened(pairs, rows, pair_count, panels, n, c, first_panel, end_panel);
}

size_t gk_i8_weight_outlier_count(const float *w, size_t k, size_t n) { return i8_weight_outlier_count_impl(w, k, n); }

void gk_i8_quantise_columns(const float *w, size_t k, size_t n, int8_t *codes, float *scales, gk_i8_weight_outlier *outliers) {
    i8_quantise_columns_impl(w, k, n, codes, scales, outliers);
}

void gk_pack_panels_i8(const int8_t *codes, const float *scales, size_t k, size_t n, const gk_i8_weight_outlier *outliers,
                       size_t outlier_count, int8_t *panels, float *panel_scales, int32_t *sums, int32_t *outlier_starts) {
    pack_panels_i8_impl(codes, scales, k, n, outliers, outlier_count, panels, panel_scales, sums, outlier_starts);
}

void gk_gemm_panels_i8(gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel, size_t end_panel) {
#if defined(__x86_64__)
    if (gk_amx_active()) {
        gemm_panels_i8_amx(x, rows, w, c, first_panel, end_panel);
        return;
    }
    if (gk_i8_dot_active()) {
        gemm_panels_i8_dot(x, rows, w, c, first_panel, end_panel);
        return;
    }
#endif
    gk_gemm_panels_i8_widened(x, rows, w, c, first_panel, end_panel);
}

void gk_topk_finish(gk_topk *selection) { topk_finish_impl(selection); }
