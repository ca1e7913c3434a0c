import CBLAS

extension Matrix {
    /// `C ← α·op(A)·op(B) + β·C` (BLAS sgemm), with op(X) = Xᵀ when its transpose flag is set.
    /// op(A) is m×k, op(B) k×n and `c` must already be m×n. Cost 2·m·n·k flops.
    public static func gemm(
        _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false,
        alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) throws(MathError) {
        let (m, k) = transposeA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (kb, n) = transposeB ? (b.cols, b.rows) : (b.rows, b.cols)
        guard k == kb else {
            throw .shapeMismatch(operation: "gemm", left: Shape(rows: m, cols: k), right: Shape(rows: kb, cols: n),
                                 requirement: "op(A).cols must equal op(B).rows")
        }
        guard c.rows == m, c.cols == n else {
            throw .shapeMismatch(operation: "gemm output", left: Shape(rows: m, cols: n), right: c.shape,
                                 requirement: "C must have the shape of op(A)·op(B)")
        }
        let sgemm = try BLASLibrary.current().functions.sgemm!
        _ = try blasInt(m, "gemm")  // m must fit BLAS integers too (each band is no longer)
        let (n32, k32) = (try blasInt(n, "gemm"), try blasInt(k, "gemm"))
        let (lda, ldb, ldc) = (Int32(max(1, a.cols)), Int32(max(1, b.cols)), Int32(max(1, c.cols)))
        if m == 0 || n == 0 { return }
        // Row r of op(A) starts at column r of A when it is transposed, at row r if not.
        let rowStride = transposeA ? 1 : Int(lda)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sharingRows(m, n: n, k: k) { rows in
                        sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                              Int32(rows.count), n32, k32, alpha, pa.baseAddress.map { $0 + rows.lowerBound * rowStride }, lda,
                              pb.baseAddress, ldb, beta, pc.baseAddress.map { $0 + rows.lowerBound * Int(ldc) }, ldc)
                    }
                }
            }
        }
    }

    /// Runs `product` on the rows `0..<m` of an m×n result with inner size k: at once on this
    /// thread for a small product or with `BLAS.threadCount` 1; else shared out in bands of rows
    /// over `WorkerPool.shared`, four per thread (bands of at least 16 rows). Products below 2²²
    /// flops (about 40 µs on one core) are not shared: handing out the bands costs more.
    static func sharingRows(_ m: Int, n: Int, k: Int, _ product: (Range<Int>) -> Void) {
        let threads = min(BLASLibrary.productThreads.load(ordering: .relaxed), WorkerPool.shared.lanes)
        let parts = min(4 * threads, m / 16)
        guard threads > 1, parts > 1, 2 * m * n * k >= 1 << 22 else { return product(0..<m) }
        WorkerPool.shared.run(sharing: m, parts: parts) { rows, _ in product(rows) }
    }

    /// `C ← α·A·Bᵀ + β·C` where B is `rows`×`a.cols`, row-major, read in place from `b` (a block of
    /// rows of a larger store, e.g. an index's vectors, without copying it). `c` must be
    /// `a.rows`×`rows`.
    public static func gemm(
        _ a: Matrix, transposedRows b: UnsafeBufferPointer<Float>, rows: Int,
        alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) throws(MathError) {
        guard b.count == rows * a.cols else {
            throw .shapeMismatch(operation: "gemm", left: a.shape, right: Shape(rows: rows, cols: a.cols),
                                 requirement: "B needs \(rows * a.cols) floats, found \(b.count)")
        }
        guard c.rows == a.rows, c.cols == rows else {
            throw .shapeMismatch(operation: "gemm output", left: Shape(rows: a.rows, cols: rows), right: c.shape,
                                 requirement: "C must have the shape of A·Bᵀ")
        }
        let sgemm = try BLASLibrary.current().functions.sgemm!
        _ = try blasInt(a.rows, "gemm")  // as must the rows (each band is no longer)
        let (n32, k32) = (try blasInt(rows, "gemm"), try blasInt(a.cols, "gemm"))
        if a.rows == 0 || rows == 0 { return }
        let ld = Int32(max(1, a.cols))
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                sharingRows(a.rows, n: rows, k: a.cols) { band in
                    sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(band.count), n32, k32, alpha,
                          pa.baseAddress.map { $0 + band.lowerBound * Int(ld) }, ld, b.baseAddress, ld, beta,
                          pc.baseAddress.map { $0 + band.lowerBound * Int(n32) }, n32)
                }
            }
        }
    }

    /// `op(A)·op(B)` as a new matrix (see `gemm`).
    public static func product(
        _ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false
    ) throws(MathError) -> Matrix {
        var c = Matrix(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        try gemm(a, b, transposeA: transposeA, transposeB: transposeB, into: &c)
        return c
    }

    /// `y ← α·op(A)·x + β·y` (BLAS sgemv); `x` has op(A).cols elements and `y` op(A).rows.
    public static func gemv(
        _ a: Matrix, transpose: Bool = false, _ x: [Float], alpha: Float = 1, beta: Float = 0, into y: inout [Float]
    ) throws(MathError) {
        let (rows, cols) = transpose ? (a.cols, a.rows) : (a.rows, a.cols)
        guard x.count == cols, y.count == rows else {
            throw .shapeMismatch(operation: "gemv", left: Shape(rows: rows, cols: cols),
                                 right: Shape(rows: x.count, cols: 1),
                                 requirement: "x needs op(A).cols = \(cols) values and y op(A).rows = \(rows), y has \(y.count)")
        }
        let sgemv = try BLASLibrary.current().functions.sgemv!
        let (m32, n32) = (try blasInt(a.rows, "gemv"), try blasInt(a.cols, "gemv"))
        if rows == 0 { return }
        if cols == 0 {
            for i in y.indices { y[i] *= beta }
            return
        }
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans, m32, n32, alpha,
                          pa.baseAddress, Int32(max(1, a.cols)), px.baseAddress, 1, beta, py.baseAddress, 1)
                }
            }
        }
    }

    /// `C ← α·Aᵀ·A + β·C` when `transpose` is true (the Gram matrix of A's columns), else
    /// `C ← α·A·Aᵀ + β·C` (BLAS ssyrk). `c` must be square of the result's size; both
    /// triangles are written (the upper one is computed, the lower mirrored).
    public static func syrk(
        _ a: Matrix, transpose: Bool = false, alpha: Float = 1, beta: Float = 0, into c: inout Matrix
    ) throws(MathError) {
        let (n, k) = transpose ? (a.cols, a.rows) : (a.rows, a.cols)
        guard c.rows == n, c.cols == n else {
            throw .shapeMismatch(operation: "syrk output", left: Shape(rows: n, cols: n), right: c.shape,
                                 requirement: "C must be \(n)×\(n)")
        }
        let ssyrk = try BLASLibrary.current().functions.ssyrk!
        let (n32, k32) = (try blasInt(n, "syrk"), try blasInt(k, "syrk"))
        if n == 0 { return }
        a.withUnsafeBufferPointer { pa in
            c.withUnsafeMutableBufferPointer { pc in
                ssyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans, n32, k32, alpha,
                      pa.baseAddress, Int32(max(1, a.cols)), beta, pc.baseAddress, n32)
                for row in 1..<n {
                    for col in 0..<row { pc[row * n + col] = pc[col * n + row] }
                }
            }
        }
    }
}
