// Read bandwidth of one core at the working sets of run-flat-scan.sh: rows × 384 floats read as
// one stream (the library's dot kernel, a buffer with itself), from memory in 4 KiB pages and
// from memory advised for 2 MiB pages (as HugePageFloats maps it). Prints one JSON line each.
//   read_bandwidth ROWS...
#include "GantryKernels.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

int main(int argc, char **argv) {
    const size_t dim = 384, page = (size_t)2 << 20;
    for (int a = 1; a < argc; a++) {
        size_t rows = strtoul(argv[a], NULL, 10), bytes = rows * dim * sizeof(float);
        for (int huge = 0; huge <= 1; huge++) {
            size_t length = (bytes + page - 1) / page * page;
            char *raw = mmap(NULL, length + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (raw == MAP_FAILED) return 1;
            float *m = (float *)(((uintptr_t)raw + page - 1) / page * page);
            if (huge) madvise(m, length, MADV_HUGEPAGE);
            for (size_t i = 0; i < rows * dim; i++) m[i] = (float)(i % 1000) / 1000.0f;
            int runs = 0;
            double start = now(), elapsed;
            do {
                sink = gk_dot(m, m, rows * dim);
                runs++;
                elapsed = now() - start;
            } while (elapsed < 1.0);
            printf("{\"kind\": \"bandwidth\", \"rows\": %zu, \"pages\": \"%s\", \"gbps\": %.2f}\n", rows,
                   huge ? "2MiB" : "4KiB", (double)bytes * runs / elapsed / 1e9);
            munmap(raw, length + page);
        }
    }
    return 0;
}
