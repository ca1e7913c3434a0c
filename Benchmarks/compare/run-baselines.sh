#!/usr/bin/env bash
# Machine ceilings the GantryMath benchmarks are read against, in one run:
#   - OpenBLAS sgemm called from C at the benchmark shapes, 1 and 2 threads, with the kernels
#     OPENBLAS_CORETYPE selects now and with the widest ones (SkylakeX) where the CPU has AVX-512;
#   - each GantryKernels variant (dot, fused dot+top-k, top-k) against read bandwidth;
#   - the same dot as Swift SIMD16 code built for the default target and for AVX-512.
# Usage: Benchmarks/compare/run-baselines.sh   (needs scripts/bootstrap and a C compiler)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../.build/compare"
mkdir -p "$out"
cc=${CC:-cc}
$cc -O2 -o "$out/openblas_sgemm" "$here/openblas_sgemm.c" -I/usr/include/x86_64-linux-gnu -lopenblas
clang=${CLANG:-clang}
kernels="$here/../../Sources/GantryKernels"
$clang -O2 -o "$out/simd_dispatch" "$here/simd_dispatch.c" "$kernels"/*.c -I"$kernels/include" -lm

swiftc -O -o "$out/swift_simd16_default" "$here/swift_simd16_dot.swift"
swiftc -O -target-cpu skylake-avx512 -o "$out/swift_simd16_v4" "$here/swift_simd16_dot.swift"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cores=("${OPENBLAS_CORETYPE:-auto}")
grep -q avx512f /proc/cpuinfo && cores+=(SkylakeX)
for core in "${cores[@]}"; do
  for threads in 1 2; do
    for shape in "256 384 384" "4096 384 384" "1 384 10000"; do
      if [ "$core" = auto ]; then env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=$threads "$out/openblas_sgemm" $shape
      else OPENBLAS_CORETYPE=$core OPENBLAS_NUM_THREADS=$threads "$out/openblas_sgemm" $shape; fi
    done
  done
done
"$out/simd_dispatch"
"$out/swift_simd16_default" "(default target)"
grep -q avx512f /proc/cpuinfo && "$out/swift_simd16_v4" "(-target-cpu skylake-avx512)"
true
