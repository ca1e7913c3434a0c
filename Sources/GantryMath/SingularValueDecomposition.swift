/// A thin singular value decomposition `A = U·diag(S)·Vᵀ` of an m×n matrix, k = min(m, n).
public struct SingularValueDecomposition: Sendable {
    /// m×k, orthonormal columns.
    public var u: Matrix
    /// k singular values, descending, non-negative.
    public var singularValues: [Float]
    /// k×n, orthonormal rows.
    public var vt: Matrix
}
