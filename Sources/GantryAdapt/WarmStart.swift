import GantryMath

/// The closed-form start of a low-rank adapter: ridge regression of query vectors onto their
/// positive tools' vectors, shrunk toward the identity,
///
///     W = argmin ‖QW − T⁺‖² + λ‖W − I‖²  ⇒  (QᵀQ + λI) W = QᵀT⁺ + λI   (sposv),
///
/// then W − I compressed to rank r by its SVD (sgesdd): W − I ≈ A Σ Bᵀ with the r largest
/// singular values, split as down = (A Σ^½)ᵀ and up = Σ^½ Bᵀ, so x + (x·downᵀ)·up ≈ x·W.
public enum WarmStart {
    /// The rank-`rank` factors `(down, up)`, each `rank × d`, of the ridge solution above for the
    /// paired rows of `q` (queries) and `t` (their positive tools' vectors), with `lambda` > 0 the
    /// pull toward the identity. Cost: one d×d solve and one d×d SVD (O(d³)) after O(n·d²) for the
    /// products. Throws `AdaptError.invalidSetting` if the rows do not pair up or there are none,
    /// `.math` if LAPACK fails. `rank` must not exceed d.
    public static func ridge(queries q: Matrix, targets t: Matrix, rank: Int, lambda: Float) throws(AdaptError) -> (down: Matrix, up: Matrix) {
        let d = q.cols
        guard q.rows == t.rows, t.cols == d, q.rows > 0 else {
            throw .invalidSetting("warm start: \(q.rows) queries and \(t.rows) targets of dimensions \(q.cols) and \(t.cols)")
        }
        do {
            var gram = Matrix.identity(d)
            try Matrix.syrk(q, transpose: true, beta: lambda, into: &gram)  // QᵀQ + λI
            var right = Matrix.identity(d)
            try Matrix.gemm(q, t, transposeA: true, beta: lambda, into: &right)  // QᵀT⁺ + λI
            var w = try gram.solve(right, as: .symmetricPositiveDefinite)
            w.withUnsafeMutableBufferPointer { b in for i in 0..<d { b[i * d + i] -= 1 } }  // W − I
            let svd = try w.singularValueDecomposition()
            var down = Matrix(rows: rank, cols: d), up = Matrix(rows: rank, cols: d)
            for j in 0..<rank {
                let s = svd.singularValues[j].squareRoot()
                for i in 0..<d {
                    down.withUnsafeMutableBufferPointer { $0[j * d + i] = svd.u[i, j] * s }
                    up.withUnsafeMutableBufferPointer { $0[j * d + i] = svd.vt[j, i] * s }
                }
            }
            return (down, up)
        } catch {
            throw .math(error)
        }
    }
}
