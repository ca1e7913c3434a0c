import GantryMath
import Testing

@Suite("LAPACK wrappers")
struct LAPACKTests {
    /// ‖MᵀM − I‖max for a matrix whose columns should be orthonormal.
    func orthonormalityError(columnsOf m: Matrix) throws -> Double {
        relativeError(try Matrix.product(m, m, transposeA: true), Reference.product(Matrix.identity(m.cols), Matrix.identity(m.cols)))
    }

    @Test(arguments: [(1, 1), (5, 3), (3, 5), (17, 17), (64, 9), (9, 64), (0, 4), (4, 0)])
    func svdReconstructsTheMatrix(rows: Int, cols: Int) throws {
        var data = TestData(seed: 10)
        let a = data.matrix(rows, cols)
        let svd = try a.singularValueDecomposition()
        let k = min(rows, cols)
        #expect(svd.u.shape == Shape(rows: rows, cols: k))
        #expect(svd.vt.shape == Shape(rows: k, cols: cols))
        #expect(svd.singularValues.count == k)
        #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(svd.singularValues.allSatisfy { $0 >= 0 })
        guard k > 0 else { return }
        var us = svd.u
        for r in 0..<rows { for c in 0..<k { us[r, c] *= svd.singularValues[c] } }
        #expect(relativeError(try Matrix.product(us, svd.vt), a) < 1e-5)
        #expect(try orthonormalityError(columnsOf: svd.u) < 1e-5)
        #expect(try orthonormalityError(columnsOf: svd.vt.transposed()) < 1e-5)
    }

    @Test func svdOfAKnownMatrix() throws {
        // diag(3, 2) rotated: singular values are 3 and 2 whatever the rotation.
        let a = try Matrix(rowArrays: [[0, 2], [3, 0], [0, 0]])
        #expect(try a.singularValueDecomposition().singularValues == [3, 2])
    }

    @Test(arguments: [1, 2, 7, 33])
    func symmetricEigendecompositionSatisfiesAvEqualsLambdaV(size: Int) throws {
        var data = TestData(seed: 11)
        let b = data.matrix(size, size)
        let a = try Matrix.product(b, b, transposeA: true)  // symmetric
        let eigen = try a.symmetricEigendecomposition()
        #expect(zip(eigen.eigenvalues, eigen.eigenvalues.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(try orthonormalityError(columnsOf: eigen.eigenvectors) < 1e-5)
        let av = try Matrix.product(a, eigen.eigenvectors)
        var vl = eigen.eigenvectors
        for r in 0..<size { for c in 0..<size { vl[r, c] *= eigen.eigenvalues[c] } }
        #expect(relativeError(av, vl) < 1e-4)
        #expect(throws: MathError.self) { try Matrix(rows: 2, cols: 3).symmetricEigendecomposition() }
    }

    @Test func eigenvaluesOfAKnownMatrix() throws {
        let a = try Matrix(rowArrays: [[2, 1], [1, 2]])
        let values = try a.symmetricEigendecomposition().eigenvalues
        #expect(abs(values[0] - 1) < 1e-6 && abs(values[1] - 3) < 1e-6)
    }

    @Test(arguments: [(1, 1), (6, 3), (3, 6), (40, 40), (100, 17), (0, 3)])
    func qrGivesOrthonormalQAndUpperTriangularR(rows: Int, cols: Int) throws {
        var data = TestData(seed: 12)
        let a = data.matrix(rows, cols)
        let qr = try a.qrDecomposition()
        let k = min(rows, cols)
        #expect(qr.q.shape == Shape(rows: rows, cols: k))
        #expect(qr.r.shape == Shape(rows: k, cols: cols))
        guard k > 0 else { return }
        #expect(try orthonormalityError(columnsOf: qr.q) < 1e-5)
        for r in 0..<k { for c in 0..<min(r, cols) { #expect(qr.r[r, c] == 0) } }
        #expect(relativeError(try Matrix.product(qr.q, qr.r), a) < 1e-5)
    }

    @Test(arguments: [1, 2, 5, 32, 65])
    func solversReproduceTheRightHandSide(size: Int) throws {
        var data = TestData(seed: 13)
        let g = data.matrix(size, size + 3)
        var spd = try Matrix.product(g, g, transposeB: true)
        for i in 0..<size { spd[i, i] += 1 }
        let general = data.matrix(size, size)
        let b = data.matrix(size, 4)
        let x1 = try spd.solve(b, as: .symmetricPositiveDefinite)
        #expect(relativeError(try Matrix.product(spd, x1), b) < 1e-3)
        let x2 = try general.solve(b)
        #expect(relativeError(try Matrix.product(general, x2), b) < 1e-2)
    }

    @Test func singularAndIndefiniteSystemsAreTypedErrors() throws {
        let singular = try Matrix(rowArrays: [[1, 2], [2, 4]])
        let b = try Matrix(rowArrays: [[1], [1]])
        let error = #expect(throws: MathError.self) { try singular.solve(b) }
        guard case .lapackFailure(let routine, let info, let reason) = error else {
            Issue.record("expected lapackFailure, got \(String(describing: error))")
            return
        }
        #expect(routine == "sgesv" && info == 2 && reason.contains("singular"))
        let indefinite = try Matrix(rowArrays: [[1, 0], [0, -1]])
        let spdError = #expect(throws: MathError.self) { try indefinite.solve(b, as: .symmetricPositiveDefinite) }
        #expect(spdError.map { "\($0)" }?.contains("leading minor of order 2 is not positive definite") == true)
    }

    @Test func badInputIsRejectedBeforeLAPACKSeesIt() throws {
        var a = Matrix.identity(3)
        a[1, 2] = .nan
        #expect(throws: MathError.nonFinite(operation: "sgesdd", row: 1, col: 2)) { try a.singularValueDecomposition() }
        #expect(throws: MathError.nonFinite(operation: "sgesv", row: 1, col: 2)) { try a.solve(Matrix(rows: 3, cols: 1)) }
        let wrongRows = #expect(throws: MathError.self) { try Matrix.identity(3).solve(Matrix(rows: 2, cols: 1)) }
        #expect(wrongRows.map { "\($0)" }?.contains("3×3") == true)
        #expect(throws: MathError.self) { try Matrix(rows: 2, cols: 3).solve(Matrix(rows: 2, cols: 1)) }
    }
}
