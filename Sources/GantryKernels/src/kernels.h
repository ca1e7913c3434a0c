// The list of dispatched kernels: every kernel compiled once per instruction set and called
// through the active table. One line each:
//
//     X(name, return type, (parameters), (arguments))
//
// `name` is at once the public entry point `gk_<name>` (declared in GantryKernels.h with the
// same parameters), the field of the dispatch table, the body `<name>_impl` in a domain header
// and the variant wrappers `<name>_generic`, `<name>_avx2`, `<name>_avx512`. dispatch.c expands
// the list into all of those but the declaration and the body.
//
// Adding a kernel: write `static inline` `<name>_impl` in a domain header (included by
// dispatch.c), add its line here, declare `gk_<name>` in GantryKernels.h. A declaration that
// disagrees with the line is a compile error (the entry point redefines it).
#ifndef GK_KERNELS_H
#define GK_KERNELS_H

#define GK_KERNELS(X)                                                                                   \
    X(dot, float, (const float *a, const float *b, size_t count), (a, b, count))                          \
    X(l2sq, float, (const float *a, const float *b, size_t count), (a, b, count))                         \
    X(scale, void, (float *x, float alpha, size_t count), (x, alpha, count))                              \
    X(axpy, void, (float alpha, const float *x, float *y, size_t count), (alpha, x, y, count))            \
    X(packed_quadratic, float, (const uint16_t *packed, const float *q, size_t dim, size_t width),         \
      (packed, q, dim, width))                                                                            \
    X(add_masked_rows_summary, void,                                                                      \
      (float *x, size_t count, const uint16_t *const *masks, const float **values, const float *weights,  \
       size_t row_count, size_t block, double *sums, float *maxima),                                      \
      (x, count, masks, values, weights, row_count, block, sums, maxima))                                 \
    X(dot_gather, void,                                                                                   \
      (const float *rows, size_t dim, const int32_t *slots, size_t count, const float *query, float *out), \
      (rows, dim, slots, count, query, out))                                                              \
    X(dot_gather_i8, void,                                                                                \
      (const int8_t *rows, const float *scales, size_t dim, const int32_t *slots, size_t count,           \
       const float *query, float *out),                                                                   \
      (rows, scales, dim, slots, count, query, out))                                                      \
    X(i8_row, float, (const float *x, size_t count, int8_t *out), (x, count, out))                        \
    X(kth_highest, float, (const float *values, size_t count, size_t k), (values, count, k))                \
    X(topk_push_scores, void, (gk_topk *selection, const float *scores, size_t count, int64_t first_id),  \
      (selection, scores, count, first_id))                                                               \
    X(topk_push_dots, void,                                                                               \
      (gk_topk *selection, const float *rows, size_t count, size_t dim, const float *query, int64_t first_id), \
      (selection, rows, count, dim, query, first_id))                                                     \
    X(layer_norm, void, (float *x, size_t rows, size_t dim, const float *gamma, const float *beta, float eps), \
      (x, rows, dim, gamma, beta, eps))                                                                   \
    X(gelu, void, (float *x, size_t count), (x, count))                                                   \
    X(add_bias_rows, void, (float *out, const float *base, size_t rows, size_t dim, const float *bias),   \
      (out, base, rows, dim, bias))                                                                       \
    X(attention, void,                                                                                    \
      (const float *qkv, size_t length, size_t heads, size_t head_dim, size_t first_head, size_t end_head, \
       float *out, float *scratch),                                                                       \
      (qkv, length, heads, head_dim, first_head, end_head, out, scratch))                                 \
    X(gemm_panels, void,                                                                                  \
      (const float *x, size_t rows, size_t k, const float *panels, size_t n, float *c, size_t first_panel, \
       size_t end_panel),                                                                                 \
      (x, rows, k, panels, n, c, first_panel, end_panel))                                                 \
    X(bf16_pairs, void, (const float *x, size_t rows, size_t k, uint32_t *pairs), (x, rows, k, pairs))     \
    X(gemm_panels_bf16_widened, void,                                                                     \
      (const uint32_t *pairs, size_t rows, size_t pair_count, const uint16_t *panels, size_t n, float *c,     \
       size_t first_panel, size_t end_panel),                                                             \
      (pairs, rows, pair_count, panels, n, c, first_panel, end_panel))                                    \
    X(u8_quads, void,                                                                                     \
      (const float *x, size_t rows, size_t k, uint32_t *quads, float *scales, int32_t *zeros,              \
       int32_t *outlier_counts, int32_t *outlier_indices, float *outlier_values),                          \
      (x, rows, k, quads, scales, zeros, outlier_counts, outlier_indices, outlier_values))                 \
    X(gemm_panels_i8_widened, void,                                                                       \
      (gk_i8_rows x, size_t rows, gk_i8_weights w, float *c, size_t first_panel, size_t end_panel),         \
      (x, rows, w, c, first_panel, end_panel))                                                                \
    X(adamw, void, (float *x, const float *g, float *m, float *v, size_t n, const float *settings),       \
      (x, g, m, v, n, settings))

// `return` before the call for kernels with a result, nothing for void ones (C forbids
// `return f();` in a void function): GK_RETURN(float) is `return`, GK_RETURN(void) empty.
#define GK_RETURN(type) GK_RETURN_##type
#define GK_RETURN_float return
#define GK_RETURN_void

#endif
