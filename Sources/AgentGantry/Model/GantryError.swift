import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath

/// Errors of the `AgentGantry` facade.
public enum GantryError: Error, CustomStringConvertible, Sendable {
    case invalidTool(name: String, reason: String)
    case unknownTool(String)
    case invalidInput(String)
    case store(String)
    /// A write to a store opened read-only (its file or folder is not writable), or a read-only
    /// store that cannot be opened as it is; says which and why.
    case readOnlyStore(String)
    case embedding(String)
    case index(IndexError)
    case adapt(AdaptError)

    public var description: String {
        switch self {
        case let .invalidTool(name, reason): return "tool \"\(excerpt(name))\": \(reason)"
        case let .unknownTool(name): return "no tool named \"\(excerpt(name))\" is registered"
        case let .invalidInput(reason): return reason
        case let .store(reason): return "store: \(reason)"
        case let .readOnlyStore(reason): return "read-only store: \(reason)"
        case let .embedding(reason): return "embedding: \(reason)"
        case let .index(error): return error.description
        case let .adapt(error): return error.description
        }
    }
}

/// The first 80 Unicode scalars of `text`, for a message: a prefix of characters could be the whole
/// text (one character may hold any number of combining marks).
func excerpt(_ text: String) -> String {
    let scalars = text.unicodeScalars
    guard let end = scalars.index(scalars.startIndex, offsetBy: 80, limitedBy: scalars.endIndex), end < scalars.endIndex else { return text }
    return String(scalars[..<end]) + "…"
}
