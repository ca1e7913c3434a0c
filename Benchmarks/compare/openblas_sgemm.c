// OpenBLAS sgemm called straight from C: the ceiling GantryMath's wrapper is measured against.
// Usage: openblas_sgemm M K N  (row-major, C = A·B, timed for about one second)
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s M K N\n", argv[0]);
        return 2;
    }
    int m = atoi(argv[1]), k = atoi(argv[2]), n = atoi(argv[3]);
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)rand() / (float)RAND_MAX - 0.5f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
    int runs = 0;
    double start = now(), elapsed;
    do {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
        runs++;
        elapsed = now() - start;
    } while (elapsed < 1.0);
    printf("C sgemm %dx%dx%d: %.1f GFLOP/s (%s kernels, %d threads)\n", m, k, n,
           2.0 * m * n * k * runs / elapsed / 1e9, openblas_get_corename(), openblas_get_num_threads());
    free(a);
    free(b);
    free(c);
    return 0;
}
