// GantryMath kernels at the sizes AgentGantry uses: a 384-d embedding space, batches of
// 256 and 4096 queries, and a 10k-row catalog scanned by one query.
//
// OpenBLAS kernels follow GANTRY_BLAS_KERNELS / OPENBLAS_CORETYPE (printed at start);
// the SIMD benchmarks run each kernel variant the CPU supports, plus a Swift SIMD16 loop
// compiled for the default target, the alternative the C kernels were chosen over.
import Benchmark
import GantryMath

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
    let status: BLASStatus
    do { status = try BLAS.status() } catch { fatalError("\(error)") }
    let kernels = "\(status.coreName ?? "unknown") kernels, \(status.threadCount ?? 0) threads"

    var rng = SplitMix64(seed: 1)
    let dimension = 384

    // sgemm: C(m×n) = A(m×k)·B(k×n); the 1×384×10000 case is one query against a catalog
    // stored row-major (B = catalogᵀ, so transposeB).
    for (m, k, n) in [(256, 384, 384), (4096, 384, 384)] {
        let a = Matrix.randomNormal(rows: m, cols: k, using: &rng)
        let b = Matrix.randomNormal(rows: k, cols: n, using: &rng)
        Benchmark("sgemm \(m)×\(k)×\(n) (\(kernels))") { benchmark in
            var c = Matrix(rows: m, cols: n)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { try Matrix.gemm(a, b, into: &c) }
            blackHole(c)
        }
    }
    let catalog = Matrix.randomNormal(rows: 10_000, cols: dimension, using: &rng)
    let query = Matrix.randomNormal(rows: 1, cols: dimension, using: &rng)
    Benchmark("sgemm 1×384×10000 (\(kernels))") { benchmark in
        var c = Matrix(rows: 1, cols: 10_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try Matrix.gemm(query, catalog, transposeB: true, into: &c) }
        blackHole(c)
    }

    // SIMD kernels over the 10k×384 catalog (15 MiB: fits the 32 MiB L3).
    let queryVector = Array(query.values)
    var scores = [Float](repeating: 0, count: 10_000)
    for i in scores.indices { scores[i] = rng.nextGaussian() }
    let fixedScores = scores
    for level in [SIMDLevel.sse, .avx2, .avx512] where level <= SIMDKernels.bestLevel {
        Benchmark("dot 10k×384 (\(level))") { benchmark in
            SIMDKernels.select(level)
            var out = [Float](repeating: 0, count: 10_000)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                catalog.withUnsafeBufferPointer { rows in
                    queryVector.withUnsafeBufferPointer { q in
                        for r in 0..<10_000 {
                            out[r] = SIMDKernels.dot(UnsafeBufferPointer(rebasing: rows[r * 384..<(r + 1) * 384]), q)
                        }
                    }
                }
            }
            blackHole(out)
        }
        Benchmark("fused dot+top-10 10k×384 (\(level))") { benchmark in
            SIMDKernels.select(level)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(try catalog.topKInnerProducts(with: queryVector, k: 10)) }
        }
        Benchmark("top-10 of 10k scores (\(level))") { benchmark in
            SIMDKernels.select(level)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(SIMDKernels.topK(fixedScores, k: 10)) }
        }
    }
    Benchmark("dot 10k×384 (Swift SIMD16, default target)") { benchmark in
        var out = [Float](repeating: 0, count: 10_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            catalog.withUnsafeBufferPointer { rows in
                queryVector.withUnsafeBufferPointer { q in
                    for r in 0..<10_000 {
                        out[r] = swiftSIMD16Dot(UnsafeBufferPointer(rebasing: rows[r * 384..<(r + 1) * 384]), q)
                    }
                }
            }
        }
        blackHole(out)
    }
}

/// The dot product as plain Swift SIMD16 code: what the kernels would be without the C target.
@inline(never)
func swiftSIMD16Dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    let pa = UnsafeRawPointer(a.baseAddress!), pb = UnsafeRawPointer(b.baseAddress!)
    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>()
    var i = 0
    let stride = MemoryLayout<Float>.stride
    while i + 32 <= a.count {
        s0 += pa.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self)
            * pb.loadUnaligned(fromByteOffset: i * stride, as: SIMD16<Float>.self)
        s1 += pa.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD16<Float>.self)
            * pb.loadUnaligned(fromByteOffset: (i + 16) * stride, as: SIMD16<Float>.self)
        i += 32
    }
    var sum = (s0 + s1).sum()
    while i < a.count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}
