import ArgumentParser
import Foundation
import GantryMath

/// `gantry selfcheck`: proves the numeric core works on this machine and how fast it is.
struct SelfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck",
        abstract: "Check BLAS, LAPACK and the SIMD kernels against plain reference code, then time sgemm.")

    @Option(help: "Seed for the random test matrices.")
    var seed: UInt64 = 42

    @Option(help: "Seconds to spend timing sgemm at 4096×384×384 (0 skips it).")
    var seconds: Double = 1

    func run() throws {
        var rng = SplitMix64(seed: seed)
        var failures = 0
        func report(_ name: String, _ error: Double, tolerance: Double) {
            let ok = error <= tolerance
            if !ok { failures += 1 }
            print("\(ok ? "ok  " : "FAIL") \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) "
                + "max rel. error \(String(format: "%.2e", error)) (limit \(String(format: "%.0e", tolerance)))")
        }

        let a = Matrix.randomNormal(rows: 67, cols: 131, using: &rng)
        let b = Matrix.randomNormal(rows: 131, cols: 45, using: &rng)
        let c = try Matrix.product(a, b)
        report("sgemm 67×131×45 vs. plain loops", relativeError(c, naiveProduct(a, b)), tolerance: 1e-5)

        let svd = try a.singularValueDecomposition()
        var us = svd.u
        for row in 0..<us.rows {
            for col in 0..<us.cols { us[row, col] *= svd.singularValues[col] }
        }
        report("sgesdd: U·S·Vᵀ reconstructs A", relativeError(try Matrix.product(us, svd.vt), a), tolerance: 1e-4)

        let square = try Matrix.product(a, a, transposeB: true)  // 67×67 Gram matrix: positive definite
        let rhs = Matrix.randomNormal(rows: 67, cols: 3, using: &rng)
        let x = try square.solve(rhs, as: .symmetricPositiveDefinite)
        report("sposv: A·x reconstructs b", relativeError(try Matrix.product(square, x), rhs), tolerance: 1e-3)

        let query = (0..<131).map { _ in rng.nextGaussian() }
        let top = try a.topKInnerProducts(with: query, k: 5)
        let expected = (0..<a.rows).map { r in (r, zip(a.row(r), query).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }) }
            .sorted { $0.1 > $1.1 }.prefix(5).map(\.0)
        let topOK = top.map(\.index) == Array(expected)
        if !topOK { failures += 1 }
        print("\(topOK ? "ok  " : "FAIL") SIMD top-5 inner products (\(SIMDKernels.activeLevel)) match a sorted scan")

        if seconds > 0 {
            let status = try BLAS.status()
            let (m, k, n) = (4096, 384, 384)
            let left = Matrix.randomNormal(rows: m, cols: k, using: &rng)
            let right = Matrix.randomNormal(rows: k, cols: n, using: &rng)
            var out = Matrix(rows: m, cols: n)
            try Matrix.gemm(left, right, into: &out)
            var runs = 0
            let clock = ContinuousClock()
            let start = clock.now
            while (clock.now - start) < .seconds(seconds) {
                try Matrix.gemm(left, right, into: &out)
                runs += 1
            }
            let elapsed = (clock.now - start) / .seconds(1)
            let gflops = 2.0 * Double(m * n * k * runs) / elapsed / 1e9
            print("sgemm \(m)×\(k)×\(n): \(String(format: "%.1f", gflops)) GFLOP/s with OpenBLAS "
                + "\(status.coreName ?? "?") kernels on \(status.threadCount ?? 0) thread(s)")
        }
        if failures > 0 {
            print("\(failures) check(s) failed")
            throw ExitCode(1)
        }
        print("selfcheck passed")
    }

    private func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, cols: b.cols)
        for i in 0..<a.rows {
            for j in 0..<b.cols {
                var sum = 0.0
                for p in 0..<a.cols { sum += Double(a[i, p]) * Double(b[p, j]) }
                c[i, j] = Float(sum)
            }
        }
        return c
    }

    /// max |x − y| / max |y|
    private func relativeError(_ x: Matrix, _ y: Matrix) -> Double {
        let scale = y.values.map { abs(Double($0)) }.max() ?? 1
        let diff = zip(x.values, y.values).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return diff / max(scale, .leastNormalMagnitude)
    }
}
