// CPU feature detection: CPUID through the compiler's __builtin_cpu_supports, which also checks
// that the OS saves the wide registers. Read by the kernel dispatch and by CRC-32C.
#include "GantryKernels.h"

static uint32_t detect_cpu_features(void) {
    uint32_t bits = 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) bits |= GK_CPU_SSE42;
    if (__builtin_cpu_supports("avx")) bits |= GK_CPU_AVX;
    if (__builtin_cpu_supports("avx2")) bits |= GK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) bits |= GK_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) bits |= GK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512cd")) bits |= GK_CPU_AVX512CD;
    if (__builtin_cpu_supports("avx512bw")) bits |= GK_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512dq")) bits |= GK_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vl")) bits |= GK_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512vnni")) bits |= GK_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx512bf16")) bits |= GK_CPU_AVX512BF16;
#endif
    return bits;
}

uint32_t gk_cpu_features(void) {
    // Detected once; racing first calls compute the same value.
    static uint32_t features;
    static bool detected;
    if (!__atomic_load_n(&detected, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&features, detect_cpu_features(), __ATOMIC_RELAXED);
        __atomic_store_n(&detected, true, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&features, __ATOMIC_RELAXED);
}
