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
        case let .invalidTool(name, reason): return "tool \"\(name.prefix(80))\": \(reason)"
        case let .unknownTool(name): return "no tool named \"\(name.prefix(80))\" is registered"
        case let .invalidInput(reason): return reason
        case let .store(reason): return "store: \(reason)"
        case let .readOnlyStore(reason): return "read-only store: \(reason)"
        case let .embedding(reason): return "embedding: \(reason)"
        case let .index(error): return error.description
        case let .adapt(error): return error.description
        }
    }
}
