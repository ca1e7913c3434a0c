/// The structure `Matrix.solve` may assume of the coefficient matrix.
public enum LinearSystemKind: Sendable {
    /// Any square non-singular matrix: LU with partial pivoting (sgesv).
    case general
    /// Symmetric positive definite: Cholesky (sposv), about twice as fast; reads the upper triangle.
    case symmetricPositiveDefinite
}
