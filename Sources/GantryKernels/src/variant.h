// One variant of every kernel in kernels.h. dispatch.c includes this file once per instruction
// set, having defined
//
//     GK_VARIANT    the variant's name (generic, avx2, avx512)
//     GK_TARGET     its function attribute: __attribute__((target("..."))), empty for generic
//     GK_GEMM_ROWS  rows per register block of gemm_panels (see gemm.h)
//     GK_EXPAND16   its masked expanding load of 16 floats (see vector.h)
//
// and gets a wrapper `<kernel>_<variant>` per kernel (the always-inline body compiled under
// GK_TARGET) and the table `table_<variant>`, built with designated initializers. The four
// parameters are undefined again at the end. No include guard: it is meant to be included
// more than once.
#if !defined(GK_VARIANT) || !defined(GK_TARGET) || !defined(GK_GEMM_ROWS) || !defined(GK_EXPAND16)
#error "define GK_VARIANT, GK_TARGET, GK_GEMM_ROWS and GK_EXPAND16 before including variant.h"
#endif

#ifndef GK_VARIANT_NAME
// `<name>_<variant>`; the extra step expands GK_VARIANT before pasting.
#define GK_VARIANT_NAME(name) GK_VARIANT_PASTE(name, GK_VARIANT)
#define GK_VARIANT_PASTE(name, variant) GK_VARIANT_PASTE_EXPANDED(name, variant)
#define GK_VARIANT_PASTE_EXPANDED(name, variant) name##_##variant
#endif

#define GK_WRAPPER(name, type, parameters, arguments) \
    GK_TARGET static type GK_VARIANT_NAME(name) parameters { GK_RETURN(type) name##_impl arguments; }
GK_KERNELS(GK_WRAPPER)
#undef GK_WRAPPER

#define GK_INITIALIZER(name, type, parameters, arguments) .name = GK_VARIANT_NAME(name),
static const gk_table GK_VARIANT_NAME(table) = {GK_KERNELS(GK_INITIALIZER)};
#undef GK_INITIALIZER

#undef GK_VARIANT
#undef GK_TARGET
#undef GK_GEMM_ROWS
#undef GK_EXPAND16
