import GantryIndex
import GantryIO
import GantryMath

/// Errors of GantryAdapt: datasets, adapter files, training settings.
public enum AdaptError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A dataset file that is missing, unreadable or wrong; `location` names the file and line
    /// or row.
    case dataset(location: String, reason: String)
    /// An adapter or embedding file that cannot be read or is damaged.
    case file(FileFormatError)
    /// An adapter made for another embedding model or dimension.
    case incompatible(String)
    /// A training or evaluation setting out of range.
    case invalidSetting(String)
    /// A numeric step failed (shapes, LAPACK).
    case math(MathError)
    /// An index operation failed.
    case index(IndexError)

    /// A one-line message: the location and reason of a dataset error, or the wrapped error's own
    /// message.
    public var description: String {
        switch self {
        case let .dataset(location, reason): return "\(location): \(reason)"
        case let .file(error): return error.description
        case let .incompatible(reason): return reason
        case let .invalidSetting(reason): return reason
        case let .math(error): return error.description
        case let .index(error): return error.description
        }
    }
}
