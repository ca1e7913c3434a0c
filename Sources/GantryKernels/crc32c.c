// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
//
// Index and adapter files carry a CRC-32C of their payload; loading 100k×384 vectors checks
// 150 MB, so the hardware instruction matters. Three independent streams would be faster
// still; one stream already runs at several GB/s.
//
// Two paths, chosen at load by CPU feature (SSE4.2), independently of the vector-kernel
// variant; gk_crc32c_select switches them so that tests can check both.
#include "GantryKernels.h"

#include <string.h>

static uint32_t crc32c_table[256];
static gk_crc32c_path active_path = GK_CRC32C_PORTABLE;

__attribute__((constructor)) static void crc32c_choose_at_load(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int j = 0; j < 8; j++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        crc32c_table[i] = c;
    }
    gk_crc32c_select(gk_crc32c_best_path());
}

static uint32_t crc32c_portable(uint32_t crc, const uint8_t *p, size_t count) {
    crc = ~crc;
    for (size_t i = 0; i < count; i++) crc = crc32c_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t count) {
    uint64_t c = ~crc;
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        uint64_t word;
        memcpy(&word, p + i, 8);
        c = __builtin_ia32_crc32di(c, word);
    }
    uint32_t c32 = (uint32_t)c;
    for (; i < count; i++) c32 = __builtin_ia32_crc32qi(c32, p[i]);
    return ~c32;
}
#endif

gk_crc32c_path gk_crc32c_best_path(void) {
    return (gk_cpu_features() & GK_CPU_SSE42) ? GK_CRC32C_SSE42 : GK_CRC32C_PORTABLE;
}

gk_crc32c_path gk_crc32c_active_path(void) { return __atomic_load_n(&active_path, __ATOMIC_ACQUIRE); }

bool gk_crc32c_select(gk_crc32c_path path) {
    if (path != GK_CRC32C_PORTABLE && path != GK_CRC32C_SSE42) return false;
    if (path == GK_CRC32C_SSE42 && gk_crc32c_best_path() != GK_CRC32C_SSE42) return false;
    __atomic_store_n(&active_path, path, __ATOMIC_RELEASE);
    return true;
}

uint32_t gk_crc32c(uint32_t crc, const void *bytes, size_t count) {
#if defined(__x86_64__)
    if (gk_crc32c_active_path() == GK_CRC32C_SSE42) return crc32c_sse42(crc, (const uint8_t *)bytes, count);
#endif
    return crc32c_portable(crc, (const uint8_t *)bytes, count);
}
