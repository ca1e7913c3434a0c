/// The eigendecomposition `A = V·diag(λ)·Vᵀ` of a symmetric matrix.
public struct SymmetricEigendecomposition: Sendable {
    /// Eigenvalues, ascending.
    public var eigenvalues: [Float]
    /// n×n; column j is the unit eigenvector of `eigenvalues[j]`.
    public var eigenvectors: Matrix
}
