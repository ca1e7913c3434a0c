// The C interfaces GantryMath needs from OpenBLAS and LAPACKE.
//
// The libraries are not linked: GantryMath opens them with dlopen and fills a
// `gantry_blas_table`, so the function-pointer types below come straight from the
// vendor headers (via __typeof__) and cannot drift from the real signatures.
#ifndef GANTRY_CBLAS_SHIM_H
#define GANTRY_CBLAS_SHIM_H

#include <cblas.h>
#include <lapacke.h>
#include <dlfcn.h>

/// Entry points of a BLAS library (required) and of OpenBLAS's extensions (optional).
typedef struct {
    __typeof__(&cblas_sgemm) sgemm;
    __typeof__(&cblas_sgemv) sgemv;
    __typeof__(&cblas_saxpy) saxpy;
    __typeof__(&cblas_sscal) sscal;
    __typeof__(&cblas_snrm2) snrm2;
    __typeof__(&cblas_ssyrk) ssyrk;
    __typeof__(&openblas_get_config) openblas_get_config;
    __typeof__(&openblas_get_corename) openblas_get_corename;
    __typeof__(&openblas_get_num_threads) openblas_get_num_threads;
    __typeof__(&openblas_set_num_threads) openblas_set_num_threads;
} gantry_blas_table;

/// Entry points of LAPACKE (all required).
typedef struct {
    __typeof__(&LAPACKE_sgesdd) sgesdd;
    __typeof__(&LAPACKE_ssyevd) ssyevd;
    __typeof__(&LAPACKE_sgeqrf) sgeqrf;
    __typeof__(&LAPACKE_sorgqr) sorgqr;
    __typeof__(&LAPACKE_sposv) sposv;
    __typeof__(&LAPACKE_sgesv) sgesv;
    __typeof__(&LAPACKE_spotrf) spotrf;
    __typeof__(&LAPACKE_spotri) spotri;
} gantry_lapacke_table;

/// dladdr's result, declared here because glibc hides Dl_info without _GNU_SOURCE.
typedef struct {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} gantry_dl_info;

/// dladdr(3) under a name of ours: finds the file a symbol was loaded from.
extern int gantry_dladdr(const void *address, gantry_dl_info *info) __asm__("dladdr");

#endif
