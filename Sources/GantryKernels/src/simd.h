// The vector type every kernel body is written in, and its helpers.
//
// Bodies use clang vector extensions, 16 floats per vector, and are always inlined into thin
// wrappers that carry a `target` attribute (see variant.h), so one source compiles to SSE2
// (four xmm registers per vector), AVX2+FMA (two ymm) or AVX-512 (one zmm). Included only by
// dispatch.c, through the domain headers.
#ifndef GK_SIMD_H
#define GK_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// a * b + c may become one FMA where the instruction set has it.
#pragma clang fp contract(fast)
// The vector helpers are always inlined, so no vector crosses a call boundary.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16f __attribute__((ext_vector_type(16)));
typedef int v16i __attribute__((ext_vector_type(16)));
typedef uint8_t v16u8 __attribute__((ext_vector_type(16)));
typedef uint16_t v16u16 __attribute__((ext_vector_type(16)));
typedef uint32_t v16u32 __attribute__((ext_vector_type(16)));

/// Every body is inlined into its variant's wrapper and so compiled for that instruction set.
#define GK_INLINE static inline __attribute__((always_inline))

GK_INLINE v16f load16(const float *p) {
    v16f v;
    memcpy(&v, p, sizeof v);
    return v;
}

GK_INLINE void store16(float *p, v16f v) { memcpy(p, &v, sizeof v); }

/// 16 32-bit integers from any address.
GK_INLINE v16i load16i(const void *p) {
    v16i v;
    memcpy(&v, p, sizeof v);
    return v;
}

/// The bfloat16 nearest to `value` (ties to even), as its 16 bits.
static inline uint16_t bf16_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    bits += 0x7FFF + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

/// 16 bfloat16 values (a float's upper 16 bits) from any address, widened to floats.
GK_INLINE v16f load16_bf16(const uint16_t *p) {
    v16u16 halves;
    memcpy(&halves, p, sizeof halves);
    v16i bits = __builtin_convertvector(halves, v16i) << 16;
    v16f out;
    memcpy(&out, &bits, sizeof out);
    return out;
}

GK_INLINE float sum16(v16f v) {
    __typeof__(v.lo) h = v.lo + v.hi;
    __typeof__(h.lo) q = h.lo + h.hi;
    return (q.x + q.y) + (q.z + q.w);
}

/// The largest lane of v (no NaN lanes), halving in registers: a handful of `vmaxps`, where
/// __builtin_reduce_max compiles to a chain of one scalar maximum and NaN check per lane.
GK_INLINE float max16(v16f v) {
    __typeof__(v.lo) h = v.lo > v.hi ? v.lo : v.hi;
    __typeof__(h.lo) q = h.lo > h.hi ? h.lo : h.hi;
    __typeof__(q.lo) e = q.lo > q.hi ? q.lo : q.hi;
    return e.x > e.y ? e.x : e.y;
}

#endif
