// CPU feature detection: CPUID through the compiler's __builtin_cpu_supports, which also checks
// that the OS saves the wide registers. Read by the kernel dispatch and by CRC-32C. AMX tiles
// need one more step, the operating system's permission (gk_amx_permitted).
#include "GantryKernels.h"

#include <pthread.h>
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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
    if (__builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-int8") && __builtin_cpu_supports("amx-bf16")) {
        bits |= GK_CPU_AMX;
    }
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

/// Whether the operating system granted the AMX tile state to this process (asked once).
static bool amx_granted;
static pthread_once_t amx_asked = PTHREAD_ONCE_INIT;

static void ask_for_amx(void) {
#if defined(__linux__) && defined(__x86_64__)
    // Linux enables the tiles' 8 KB of state per process on request (since 5.16); without the
    // grant, the first tile instruction traps. The request fails (and the tiles stay unused)
    // where a thread's alternate signal stack is too small for the larger signal frame.
    enum { arch_request_component_permission = 0x1023, tile_data_component = 18 };
    if (gk_cpu_features() & GK_CPU_AMX) {
        amx_granted = syscall(SYS_arch_prctl, arch_request_component_permission, tile_data_component) == 0;
    }
#endif
}

bool gk_amx_permitted(void) {
    pthread_once(&amx_asked, ask_for_amx);
    return amx_granted;
}
