import GantryIO
import GantryMath

/// Errors of GantryIndex, each saying what was expected and what was found.
public enum IndexError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A vector or query of the wrong length.
    case dimensionMismatch(expected: Int, found: Int)
    /// NaN or infinity in a vector (row `row` of a batch, or 0 for a single vector).
    case nonFiniteVector(row: Int)
    /// A zero vector where cosine similarity needs a direction.
    case zeroVector(row: Int)
    /// An id added twice (or twice within one batch).
    case duplicateID(VectorID)
    /// An id that is not in the index.
    case unknownID(VectorID)
    /// `ids.count` differs from the number of rows.
    case idCountMismatch(rows: Int, ids: Int)
    /// A parameter out of its range, with the reason.
    case invalidParameter(String)
    /// A file that cannot be read or written, or is damaged.
    case file(FileFormatError)
    /// A file built from a different embedding model than the caller expects.
    case modelMismatch(path: String, expected: String, found: String)

    /// A one-line message with the values at fault and, where there is one, the fix ("remove it
    /// first to replace its vector", "rebuild the index").
    public var description: String {
        switch self {
        case let .dimensionMismatch(expected, found):
            return "vector of dimension \(found), the index holds \(expected)-dimensional vectors"
        case let .nonFiniteVector(row):
            return "vector \(row) contains NaN or infinity"
        case let .zeroVector(row):
            return "vector \(row) is all zeros; cosine similarity needs a non-zero vector"
        case let .duplicateID(id):
            return "id \(id) is already in the index; remove it first to replace its vector"
        case let .unknownID(id):
            return "id \(id) is not in the index"
        case let .idCountMismatch(rows, ids):
            return "\(rows) vectors but \(ids) ids; give one id per row"
        case let .invalidParameter(reason):
            return reason
        case let .file(error):
            return error.description
        case let .modelMismatch(path, expected, found):
            return "\(path) was built with embeddings of '\(found)', expected '\(expected)'; rebuild the index"
        }
    }
}
