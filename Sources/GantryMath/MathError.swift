/// Errors raised by GantryMath. Each message names the operation, the shapes involved and,
/// where the user can do something about it, what to do.
public enum MathError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Two operands whose shapes do not fit together, e.g. gemm with A 3×4 and B 5×2.
    case shapeMismatch(operation: String, left: Shape, right: Shape, requirement: String)
    /// A flat buffer whose length is not rows × cols.
    case invalidShape(rows: Int, cols: Int, valueCount: Int)
    /// Rows of different lengths handed to a matrix initialiser.
    case raggedRows(row: Int, expectedLength: Int, foundLength: Int)
    /// Two vectors of different lengths.
    case lengthMismatch(operation: String, left: Int, right: Int)
    /// Vectors that are all zero or hold NaN or infinity: they have no direction, so they cannot
    /// be scaled to unit length.
    case cannotNormalize(rows: [Int])
    /// NaN or infinity in the input of a routine that cannot handle it.
    case nonFinite(operation: String, row: Int, col: Int)
    /// A dimension larger than the 32-bit integers BLAS and LAPACK take.
    case dimensionTooLarge(operation: String, dimension: Int)
    /// A LAPACK routine that returned `info != 0`.
    case lapackFailure(routine: String, info: Int, reason: String)
    /// A shared library that could not be opened or lacks a needed symbol.
    case libraryUnavailable(library: String, reason: String, remedy: String)
    /// BLAS kernels that cannot be used: unknown to us, beyond this CPU, or requested too late.
    case kernelSelection(reason: String)

    /// A one-line message naming the operation and the values at fault (both shapes of a
    /// mismatch, the LAPACK routine and its `info`, the library and how to install it).
    public var description: String {
        switch self {
        case let .shapeMismatch(operation, left, right, requirement):
            return "\(operation): shapes \(left) and \(right) do not fit (\(requirement))"
        case let .invalidShape(rows, cols, valueCount):
            return "a \(rows)×\(cols) matrix needs \(rows * cols) values, found \(valueCount)"
        case let .raggedRows(row, expected, found):
            return "row \(row) has \(found) values, expected \(expected) like the rows before it"
        case let .lengthMismatch(operation, left, right):
            return "\(operation): vectors of length \(left) and \(right); they must be equal"
        case let .cannotNormalize(rows):
            let shown = rows.prefix(10).map(String.init).joined(separator: ", ")
            let more = rows.count > 10 ? " and \(rows.count - 10) more" : ""
            return "cannot normalize rows \(shown)\(more): they are all zero or hold NaN or infinity; check what produced them"
        case let .nonFinite(operation, row, col):
            return "\(operation): the input holds NaN or infinity at row \(row), column \(col)"
        case let .dimensionTooLarge(operation, dimension):
            return "\(operation): dimension \(dimension) exceeds BLAS/LAPACK's 32-bit limit \(Int32.max)"
        case let .lapackFailure(routine, info, reason):
            return "LAPACK \(routine) failed (info = \(info)): \(reason)"
        case let .libraryUnavailable(library, reason, remedy):
            return "\(library) is not available: \(reason). \(remedy)"
        case let .kernelSelection(reason):
            return "BLAS kernel selection: \(reason)"
        }
    }
}
