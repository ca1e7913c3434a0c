/// A thin QR decomposition `A = Q·R` of an m×n matrix, k = min(m, n).
public struct QRDecomposition: Sendable {
    /// m×k with orthonormal columns.
    public var q: Matrix
    /// k×n, upper triangular.
    public var r: Matrix
}
