import GantryMath
import Testing

@Suite("BLAS wrappers")
struct BLASTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesReferenceOverEdgeShapes(transposeA: Bool, transposeB: Bool) throws {
        var data = TestData(seed: 1)
        for (m, k, n) in [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (7, 15, 17), (33, 65, 16), (64, 129, 31), (100, 3, 2)] {
            let a = transposeA ? data.matrix(k, m) : data.matrix(m, k)
            let b = transposeB ? data.matrix(n, k) : data.matrix(k, n)
            let c = try Matrix.product(a, b, transposeA: transposeA, transposeB: transposeB)
            #expect(c.shape == Shape(rows: m, cols: n))
            #expect(relativeError(c, Reference.product(a, b, transposeA: transposeA, transposeB: transposeB)) < 1e-5,
                    "m=\(m) k=\(k) n=\(n)")
        }
    }

    @Test func gemmAppliesAlphaAndBetaIntoAnExistingMatrix() throws {
        var data = TestData(seed: 2)
        let a = data.matrix(9, 5), b = data.matrix(5, 11)
        let c0 = data.matrix(9, 11)
        var c = c0
        try Matrix.gemm(a, b, alpha: 2, beta: -0.5, into: &c)
        let ab = Reference.product(a, b)
        let expected = (0..<9).map { i in (0..<11).map { j in 2 * ab[i][j] - 0.5 * Double(c0[i, j]) } }
        #expect(relativeError(c, expected) < 1e-5)
        // k = 0: C = beta·C
        var d = c0
        try Matrix.gemm(Matrix(rows: 9, cols: 0), Matrix(rows: 0, cols: 11), beta: 3, into: &d)
        #expect(relativeError(d, (0..<9).map { i in (0..<11).map { j in 3 * Double(c0[i, j]) } }) < 1e-6)
    }

    /// Products large enough to be shared out in bands of rows over the worker pool (with
    /// `BLAS.threadCount` above 1), every transpose and an accumulating β: each band lands in
    /// its own rows.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sharedProductsMatchTheReference(transposeA: Bool, transposeB: Bool) throws {
        var data = TestData(seed: 5)
        for (m, k, n) in [(517, 96, 80), (64, 300, 130), (33, 1000, 70)] {
            let a = transposeA ? data.matrix(k, m) : data.matrix(m, k)
            let b = transposeB ? data.matrix(n, k) : data.matrix(k, n)
            let c0 = data.matrix(m, n)
            var c = c0
            try Matrix.gemm(a, b, transposeA: transposeA, transposeB: transposeB, alpha: 0.5, beta: 2, into: &c)
            let ab = Reference.product(a, b, transposeA: transposeA, transposeB: transposeB)
            let expected = (0..<m).map { i in (0..<n).map { j in 0.5 * ab[i][j] + 2 * Double(c0[i, j]) } }
            #expect(relativeError(c, expected) < 1e-5, "m=\(m) k=\(k) n=\(n)")
        }
        // Rows of a larger store read in place.
        let a = data.matrix(700, 64), store = data.matrix(300, 64)
        var c = Matrix(rows: 700, cols: 300)
        try store.withUnsafeBufferPointer { rows in try Matrix.gemm(a, transposedRows: rows, rows: 300, into: &c) }
        #expect(relativeError(c, Reference.product(a, store, transposeB: true)) < 1e-5)
    }

    @Test func gemmShapeErrorsNameBothShapes() throws {
        let a = Matrix(rows: 3, cols: 4), b = Matrix(rows: 5, cols: 2)
        let error = #expect(throws: MathError.self) { try Matrix.product(a, b) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("3×4") && message.contains("5×2"), "\(message)")
        var wrong = Matrix(rows: 3, cols: 3)
        let outputError = #expect(throws: MathError.self) { try Matrix.gemm(a, Matrix(rows: 2, cols: 4), transposeB: true, into: &wrong) }
        #expect(outputError.map { "\($0)" }?.contains("3×2") == true)
        #expect(wrong == Matrix(rows: 3, cols: 3))
    }

    @Test(arguments: [false, true])
    func gemvMatchesReference(transpose: Bool) throws {
        var data = TestData(seed: 3)
        for (rows, cols) in [(0, 4), (4, 0), (1, 1), (17, 33), (65, 7)] {
            let a = data.matrix(rows, cols)
            let x = data.vector(transpose ? rows : cols)
            let y0 = data.vector(transpose ? cols : rows)
            var y = y0
            try Matrix.gemv(a, transpose: transpose, x, alpha: 1.5, beta: 2, into: &y)
            let ax = Reference.product(a, try Matrix(rows: x.count, cols: 1, values: x), transposeA: transpose)
            for i in y.indices {
                let expected = 1.5 * ax[i][0] + 2 * Double(y0[i])
                #expect(abs(Double(y[i]) - expected) <= 1e-4 * max(1, abs(expected)))
            }
        }
        var y = [Float](repeating: 0, count: 3)
        #expect(throws: MathError.self) { try Matrix.gemv(Matrix(rows: 3, cols: 4), [1, 2, 3], into: &y) }
    }

    @Test(arguments: [false, true])
    func syrkMatchesReferenceAndFillsBothTriangles(transpose: Bool) throws {
        var data = TestData(seed: 4)
        for (rows, cols) in [(1, 1), (5, 17), (33, 8), (0, 3)] {
            let a = data.matrix(rows, cols)
            let n = transpose ? cols : rows
            let c0 = data.matrix(n, n)
            var c = c0
            try Matrix.syrk(a, transpose: transpose, alpha: 0.5, beta: 1, into: &c)
            let gram = transpose ? Reference.product(a, a, transposeA: true) : Reference.product(a, a, transposeB: true)
            // The reference for beta·C uses C's upper triangle, as BLAS does.
            let expected = (0..<n).map { i in (0..<n).map { j in 0.5 * gram[i][j] + Double(c0[min(i, j), max(i, j)]) } }
            #expect(relativeError(c, expected) < 1e-5, "rows=\(rows) cols=\(cols)")
        }
        var wrong = Matrix(rows: 2, cols: 3)
        #expect(throws: MathError.self) { try Matrix.syrk(Matrix(rows: 2, cols: 2), into: &wrong) }
    }

    @Test func levelOneRoutines() throws {
        var data = TestData(seed: 5)
        for count in edgeSizes {
            let x = data.vector(count)
            var y = data.vector(count)
            let y0 = y
            try BLAS.axpy(-2, x, &y)
            for i in 0..<count { #expect(abs(y[i] - (y0[i] - 2 * x[i])) <= 1e-5 * max(1, abs(y[i]))) }
            var z = x
            try BLAS.scal(3, &z)
            #expect(zip(z, x).allSatisfy { abs($0 - 3 * $1) <= 1e-6 * max(1, abs($0)) })
            let norm = try BLAS.nrm2(x)
            #expect(abs(Double(norm) - Reference.dot(x, x).squareRoot()) <= 1e-5 * max(1, Double(norm)))
        }
        var y: [Float] = [1, 2]
        #expect(throws: MathError.lengthMismatch(operation: "axpy", left: 3, right: 2)) { try BLAS.axpy(1, [1, 2, 3], &y) }
        // nrm2 avoids the overflow a plain sum of squares would hit.
        #expect(try BLAS.nrm2([3e30, 4e30]) == 5e30)
    }

    @Test func runtimeReportsLibraryAndThreads() throws {
        let status = try BLAS.status()
        #expect(!status.libraryPath.isEmpty)
        if let original = status.threadCount {
            try BLAS.setThreadCount(1)
            #expect(BLAS.threadCount == 1)
            try BLAS.setThreadCount(original)
            #expect(BLAS.threadCount == original)
        }
        // Kernels are fixed once OpenBLAS is loaded: asking for another choice must fail loudly.
        let other: BLASKernelChoice = status.choice == .best ? .environment : .best
        #expect(throws: MathError.self) { try BLAS.useKernels(other) }
        try BLAS.useKernels(status.choice)
    }

    @Test func kernelChoiceParsingAndCoreLevels() {
        #expect(BLASKernelChoice(parsing: "best") == .best)
        #expect(BLASKernelChoice(parsing: "BEST") == .best)
        #expect(BLASKernelChoice(parsing: "environment") == .environment)
        #expect(BLASKernelChoice(parsing: "Haswell") == .named("Haswell"))
        #expect(OpenBLASCores.level(of: "SkylakeX") == .avx512)
        #expect(OpenBLASCores.level(of: "haswell") == .avx2)
        #expect(OpenBLASCores.level(of: "Prescott") == .sse)
        #expect(OpenBLASCores.level(of: "NoSuchCore") == nil)
        #expect(OpenBLASCores.best(for: [.avx2, .fma, .avx]) == "Haswell")
        #expect(OpenBLASCores.best(for: [.avx2, .fma, .avx, .avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl]) == "SkylakeX")
        #expect(OpenBLASCores.best(for: [.avx512f, .avx]) == "Sandybridge")  // AVX-512F without AVX2/FMA is not enough
        #expect(OpenBLASCores.best(for: []) == nil)
    }
}
