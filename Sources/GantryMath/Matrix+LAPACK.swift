import CBLAS

extension Matrix {
    /// The thin SVD (LAPACK sgesdd, divide and conquer). Cost O(m·n·min(m, n)).
    public func singularValueDecomposition() throws(MathError) -> SingularValueDecomposition {
        try requireFinite("sgesdd")
        let k = min(rows, cols)
        var a = self
        var s = [Float](repeating: 0, count: k)
        var u = Matrix(rows: rows, cols: k)
        var vt = Matrix(rows: k, cols: cols)
        if k > 0 {
            let sgesdd = try LAPACKELibrary.current().functions.sgesdd!
            let (m32, n32, k32) = (try blasInt(rows, "sgesdd"), try blasInt(cols, "sgesdd"), try blasInt(k, "sgesdd"))
            let info = a.withUnsafeMutableBufferPointer { pa in
                s.withUnsafeMutableBufferPointer { ps in
                    u.withUnsafeMutableBufferPointer { pu in
                        vt.withUnsafeMutableBufferPointer { pvt in
                            sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), m32, n32, pa.baseAddress, n32,
                                   ps.baseAddress, pu.baseAddress, k32, pvt.baseAddress, n32)
                        }
                    }
                }
            }
            try check(info, "sgesdd", positive: "the bidiagonal divide-and-conquer step (sbdsdc) did not converge")
        }
        return SingularValueDecomposition(u: u, singularValues: s, vt: vt)
    }

    /// Eigenvalues and eigenvectors of a symmetric matrix (LAPACK ssyevd); only the upper
    /// triangle is read. Throws on a non-square matrix.
    public func symmetricEigendecomposition() throws(MathError) -> SymmetricEigendecomposition {
        try requireSquare("ssyevd")
        try requireFinite("ssyevd")
        var a = self
        var w = [Float](repeating: 0, count: rows)
        if rows > 0 {
            let ssyevd = try LAPACKELibrary.current().functions.ssyevd!
            let n32 = try blasInt(rows, "ssyevd")
            let info = a.withUnsafeMutableBufferPointer { pa in
                w.withUnsafeMutableBufferPointer { pw in
                    ssyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), n32,
                           pa.baseAddress, n32, pw.baseAddress)
                }
            }
            try check(info, "ssyevd", positive: "the algorithm failed to converge")
        }
        return SymmetricEigendecomposition(eigenvalues: w, eigenvectors: a)
    }

    /// The thin QR decomposition (LAPACK sgeqrf, then sorgqr for an explicit Q).
    public func qrDecomposition() throws(MathError) -> QRDecomposition {
        try requireFinite("sgeqrf")
        let k = min(rows, cols)
        guard k > 0 else { return QRDecomposition(q: Matrix(rows: rows, cols: 0), r: Matrix(rows: 0, cols: cols)) }
        let functions = try LAPACKELibrary.current().functions
        let (m32, n32, k32) = (try blasInt(rows, "sgeqrf"), try blasInt(cols, "sgeqrf"), try blasInt(k, "sgeqrf"))
        var a = self
        var tau = [Float](repeating: 0, count: k)
        let info = a.withUnsafeMutableBufferPointer { pa in
            tau.withUnsafeMutableBufferPointer { functions.sgeqrf!(LAPACK_ROW_MAJOR, m32, n32, pa.baseAddress, n32, $0.baseAddress) }
        }
        try check(info, "sgeqrf", positive: "unexpected positive info")
        var r = Matrix(rows: k, cols: cols)
        for row in 0..<k {
            for col in row..<cols { r[row, col] = a[row, col] }
        }
        // The reflectors sit below the diagonal of the first k columns: form Q from those.
        var q = Matrix(rows: rows, cols: k)
        for row in 0..<rows {
            for col in 0..<k { q[row, col] = a[row, col] }
        }
        let orgqrInfo = q.withUnsafeMutableBufferPointer { pq in
            tau.withUnsafeBufferPointer { functions.sorgqr!(LAPACK_ROW_MAJOR, m32, k32, k32, pq.baseAddress, k32, $0.baseAddress) }
        }
        try check(orgqrInfo, "sorgqr", positive: "unexpected positive info")
        return QRDecomposition(q: q, r: r)
    }

    /// The solution X of `A·X = B` for this square A and a right-hand side B with as many rows
    /// (one column per system). `.symmetricPositiveDefinite` uses Cholesky (sposv), `.general`
    /// LU with partial pivoting (sgesv); a singular or indefinite A throws `lapackFailure`.
    public func solve(_ b: Matrix, as kind: LinearSystemKind = .general) throws(MathError) -> Matrix {
        let routine = kind == .general ? "sgesv" : "sposv"
        try requireSquare(routine)
        guard b.rows == rows else {
            throw .shapeMismatch(operation: routine, left: shape, right: b.shape,
                                 requirement: "B needs as many rows as A")
        }
        try requireFinite(routine)
        try b.requireFinite(routine)
        var a = self
        var x = b
        guard rows > 0, b.cols > 0 else { return x }
        let functions = try LAPACKELibrary.current().functions
        let (n32, nrhs32) = (try blasInt(rows, routine), try blasInt(b.cols, routine))
        let info: Int32
        switch kind {
        case .general:
            var pivots = [Int32](repeating: 0, count: rows)
            info = a.withUnsafeMutableBufferPointer { pa in
                x.withUnsafeMutableBufferPointer { px in
                    pivots.withUnsafeMutableBufferPointer { pp in
                        functions.sgesv!(LAPACK_ROW_MAJOR, n32, nrhs32, pa.baseAddress, n32, pp.baseAddress,
                                         px.baseAddress, nrhs32)
                    }
                }
            }
            try check(info, routine, positive: "U(\(info),\(info)) is exactly zero: the matrix is singular")
        case .symmetricPositiveDefinite:
            info = a.withUnsafeMutableBufferPointer { pa in
                x.withUnsafeMutableBufferPointer { px in
                    functions.sposv!(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), n32, nrhs32, pa.baseAddress, n32,
                                     px.baseAddress, nrhs32)
                }
            }
            try check(info, routine, positive: "the leading minor of order \(info) is not positive definite")
        }
        return x
    }

    /// The upper-triangular U with `Uᵀ·U = A⁻¹` for this symmetric positive definite A (spotrf,
    /// spotri, then spotrf of the inverse; reads the upper triangle), zeros below the diagonal:
    /// the factor whose rows carry a quantisation error forward in
    /// `Int8Quantization(minimizingOutputError:…)`. An A that is not positive definite throws
    /// `lapackFailure`.
    func upperCholeskyFactorOfInverse() throws(MathError) -> Matrix {
        try requireSquare("spotrf")
        try requireFinite("spotrf")
        guard rows > 0 else { return self }
        let functions = try LAPACKELibrary.current().functions
        let n32 = try blasInt(rows, "spotrf")
        let upper = CChar(UInt8(ascii: "U"))
        var a = self
        // spotrf, spotri, spotrf: the first failing step's code, or 0.
        let (step, info) = a.withUnsafeMutableBufferPointer { pa -> (Int, Int32) in
            var info = functions.spotrf!(LAPACK_ROW_MAJOR, upper, n32, pa.baseAddress, n32)
            if info != 0 { return (0, info) }
            info = functions.spotri!(LAPACK_ROW_MAJOR, upper, n32, pa.baseAddress, n32)
            if info != 0 { return (1, info) }
            info = functions.spotrf!(LAPACK_ROW_MAJOR, upper, n32, pa.baseAddress, n32)
            if info != 0 { return (2, info) }
            for row in 1..<rows {
                for col in 0..<row { pa[row * rows + col] = 0 }
            }
            return (3, 0)
        }
        switch step {
        case 0: try check(info, "spotrf", positive: "the leading minor of order \(info) is not positive definite")
        case 1: try check(info, "spotri", positive: "the Cholesky factor is zero at (\(info),\(info))")
        case 2: try check(info, "spotrf", positive: "the inverse is not positive definite in floats (order \(info))")
        default: break
        }
        return a
    }

    private func requireSquare(_ routine: String) throws(MathError) {
        guard rows == cols else {
            throw .shapeMismatch(operation: routine, left: shape, right: shape, requirement: "the matrix must be square")
        }
    }

    private func requireFinite(_ routine: String) throws(MathError) {
        if let (row, col) = firstNonFinite() { throw .nonFinite(operation: routine, row: row, col: col) }
    }
}

/// Turns a LAPACKE return code into a typed error.
private func check(_ info: Int32, _ routine: String, positive reason: String) throws(MathError) {
    switch info {
    case 0: return
    case LAPACK_WORK_MEMORY_ERROR, LAPACK_TRANSPOSE_MEMORY_ERROR:
        throw .lapackFailure(routine: routine, info: Int(info), reason: "LAPACKE could not allocate its work memory")
    case ..<0:
        throw .lapackFailure(routine: routine, info: Int(info), reason: "argument \(-info) had an illegal value")
    default:
        throw .lapackFailure(routine: routine, info: Int(info), reason: reason)
    }
}
