// Throughput of each GantryKernels variant over a 10k×384 catalogue (15 MiB, L3-resident),
// next to the read bandwidth this core reaches on the same bytes and from DRAM, measured with
// the best variant reading one stream (dot of a buffer with itself). One thread.
#include "GantryKernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

/// GB/s of rows×dim floats read per call of `body`, timed for about one second.
#define MEASURE(bytes_per_run, ...)                                     \
    ({                                                                   \
        int runs_ = 0;                                                   \
        double start_ = now(), elapsed_;                                 \
        do {                                                             \
            __VA_ARGS__;                                                 \
            runs_++;                                                     \
            elapsed_ = now() - start_;                                   \
        } while (elapsed_ < 1.0);                                        \
        (double)(bytes_per_run) * runs_ / elapsed_ / 1e9;                \
    })

int main(void) {
    const size_t rows = 10000, dim = 384, bytes = rows * dim * sizeof(float);
    float *m = malloc(bytes), *q = malloc(sizeof(float) * dim), *out = malloc(sizeof(float) * rows);
    for (size_t i = 0; i < rows * dim; i++) m[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (size_t i = 0; i < dim; i++) q[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    const char *names[] = {"generic (SSE2)", "AVX2+FMA", "AVX-512"};
    for (int isa = 0; isa <= (int)gk_best_isa(); isa++) {
        gk_select_isa((gk_isa)isa);
        double dot = MEASURE(bytes, {
            for (size_t r = 0; r < rows; r++) out[r] = gk_dot(m + r * dim, q, dim);
            sink = out[rows / 2];
        });
        float s[10];
        int64_t ids[10];
        double fused = MEASURE(bytes, {
            gk_topk t = {.scores = s, .ids = ids, .count = 0, .capacity = 10, .floor = -INFINITY};
            gk_topk_push_dots(&t, m, rows, dim, q, 0);
            gk_topk_finish(&t);
            sink = s[0];
        });
        double topk = MEASURE(rows * sizeof(float), {
            gk_topk t = {.scores = s, .ids = ids, .count = 0, .capacity = 10, .floor = -INFINITY};
            gk_topk_push_scores(&t, out, rows, 0);
            gk_topk_finish(&t);
            sink = s[0];
        });
        double small = MEASURE(199 * dim * sizeof(float), {
            gk_topk t = {.scores = s, .ids = ids, .count = 0, .capacity = 10, .floor = -INFINITY};
            gk_topk_push_dots(&t, m, 199, dim, q, 0);
            gk_topk_finish(&t);
            sink = s[0];
        });
        printf("%-15s dot 10k×384 %6.1f GB/s | fused dot+top-10 %6.1f GB/s (199 rows: %6.1f GB/s = %.2f µs) | "
               "top-10 of 10k scores %6.1f GB/s\n", names[isa], dot, fused, small, 199 * dim * 4 / small / 1e3, topk);
    }
    gk_select_isa(gk_best_isa());
    double l3 = MEASURE(bytes, { sink = gk_dot(m, m, rows * dim); });
    const size_t big = (size_t)1 << 28;  // 1 GiB of floats: far beyond the caches
    float *d = malloc(big * sizeof(float));
    for (size_t i = 0; i < big; i++) d[i] = 1.0f;
    double dram = MEASURE(big * sizeof(float), { sink = gk_dot(d, d, big); });
    printf("read bandwidth, one stream: %.1f GB/s from the same 15 MiB, %.1f GB/s from DRAM (1 GiB)\n", l3, dram);
    return 0;
}
