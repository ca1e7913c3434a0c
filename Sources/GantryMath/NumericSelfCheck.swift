/// Proof that the numeric core works on this machine: sgemm, sgesdd, sposv and the SIMD top-k
/// against plain reference code on seeded matrices, then sgemm's speed at 4096×384×384
/// (`gantry selfcheck`).
public enum NumericSelfCheck {
    /// One comparison with reference code.
    public struct Check: Sendable {
        /// What was compared, e.g. "sgemm 67×131×45 vs. plain loops".
        public var name: String
        /// max |x − y| / max |y| (0 for exact checks).
        public var relativeError: Double
        /// The largest error that passes.
        public var tolerance: Double
        /// Whether `relativeError <= tolerance`.
        public var passed: Bool
    }

    /// sgemm's speed on this machine.
    public struct Speed: Sendable {
        /// 2·m·k·n floating-point operations per second of wall clock, in billions.
        public var gflops: Double
        /// The OpenBLAS library, kernels and threads that ran it.
        public var status: BLASStatus
        /// The product timed: an `m × k` matrix times a `k × n` one (4096×384×384).
        public var shape: (m: Int, k: Int, n: Int)
    }

    /// The checks, in order, and the speed when it was timed.
    public struct Report: Sendable {
        /// Every comparison made, in the order they ran.
        public var checks: [Check]
        /// sgemm's speed; nil when `run(seed:seconds:)` was asked for 0 seconds.
        public var speed: Speed?
        /// Whether every check passed.
        public var passed: Bool { checks.allSatisfy(\.passed) }
    }

    /// Runs the checks on matrices drawn from `seed`, then times sgemm for `seconds` (0 skips it).
    public static func run(seed: UInt64 = 42, seconds: Double = 1) throws(MathError) -> Report {
        var rng = SplitMix64(seed: seed)
        var checks = [Check]()
        func check(_ name: String, _ error: Double, tolerance: Double) {
            checks.append(Check(name: name, relativeError: error, tolerance: tolerance, passed: error <= tolerance))
        }

        let a = Matrix.randomNormal(rows: 67, cols: 131, using: &rng)
        let b = Matrix.randomNormal(rows: 131, cols: 45, using: &rng)
        check("sgemm 67×131×45 vs. plain loops", relativeError(try Matrix.product(a, b), naiveProduct(a, b)), tolerance: 1e-5)

        let svd = try a.singularValueDecomposition()
        var us = svd.u
        for row in 0..<us.rows {
            for col in 0..<us.cols { us[row, col] *= svd.singularValues[col] }
        }
        check("sgesdd: U·S·Vᵀ reconstructs A", relativeError(try Matrix.product(us, svd.vt), a), tolerance: 1e-4)

        let square = try Matrix.product(a, a, transposeB: true)  // 67×67 Gram matrix: positive definite
        let rhs = Matrix.randomNormal(rows: 67, cols: 3, using: &rng)
        let x = try square.solve(rhs, as: .symmetricPositiveDefinite)
        check("sposv: A·x reconstructs b", relativeError(try Matrix.product(square, x), rhs), tolerance: 1e-3)

        let query = (0..<131).map { _ in rng.nextGaussian() }
        let top = try a.topKInnerProducts(with: query, k: 5)
        let expected = (0..<a.rows).map { r in (r, zip(a.row(r), query).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }) }
            .sorted { $0.1 > $1.1 }.prefix(5).map(\.0)
        check("SIMD top-5 (\(SIMDKernels.activeLevel)) vs. a sorted scan", top.map(\.index) == Array(expected) ? 0 : 1,
              tolerance: 0)

        guard seconds > 0 else { return Report(checks: checks, speed: nil) }
        return Report(checks: checks, speed: try sgemmSpeed(seconds: seconds, using: &rng))
    }

    private static func sgemmSpeed(seconds: Double, using rng: inout SplitMix64) throws(MathError) -> Speed {
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
        let elapsed = (clock.now - start).seconds
        return Speed(gflops: 2.0 * Double(m * n * k * runs) / elapsed / 1e9, status: status, shape: (m, k, n))
    }

    private static func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
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
    private static func relativeError(_ x: Matrix, _ y: Matrix) -> Double {
        let scale = y.values.map { abs(Double($0)) }.max() ?? 1
        let diff = zip(x.values, y.values).map { abs(Double($0) - Double($1)) }.max() ?? 0
        return diff / max(scale, .leastNormalMagnitude)
    }
}
