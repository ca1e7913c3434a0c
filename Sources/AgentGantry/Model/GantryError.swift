import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath

/// Errors of the `AgentGantry` facade.
public enum GantryError: Error, CustomStringConvertible, Sendable {
    /// A tool that fails validation (`Tool.validate()`): the name as given and what is wrong.
    case invalidTool(name: String, reason: String)
    /// A tool name that is not registered (`remove`, `recordFeedback`, `recordExecution`,
    /// `breakerState(of:)`).
    case unknownTool(String)
    /// A retrieval id this process does not know and the store holds no record of: it expired
    /// (`GantryConfiguration.retrievalRetentionDays`), was lost in a crash, was never recorded
    /// (`recordsRetrievals` false), or another process has not committed it yet.
    case unknownRetrieval(RetrievalID)
    /// An argument out of its range or over a `Limits` size (a blank query, a limit outside
    /// 1...100, a bad line of an imported event log), or a configuration that `validate()` refuses.
    case invalidInput(String)
    /// The store cannot be opened, read or written, or holds what this version cannot use (a
    /// newer schema, another model's tools when `reembedOnModelChange` is false); says which store
    /// and how to recover.
    case store(String)
    /// A store on a server could not be reached within its timeout (the server is down,
    /// restarting or unreachable). Nothing of the failed call was stored, unless the message says
    /// the outcome is unknown; retrying later is safe.
    case storeUnavailable(String)
    /// A write to a store opened read-only (its file or folder is not writable), or a read-only
    /// store that cannot be opened as it is; says which and why.
    case readOnlyStore(String)
    /// The embedder failed (model files missing, a text it refuses) or gave an unusable vector (wrong
    /// dimension, NaN, zero).
    case embedding(String)
    /// A vector index operation failed.
    case index(IndexError)
    /// The adapter failed to load, apply or train.
    case adapt(AdaptError)

    /// A one-line message: the case's prefix (`store:`, `read-only store:`, `embedding:`) and the
    /// reason, names cut to their first 80 Unicode scalars.
    public var description: String {
        switch self {
        case let .invalidTool(name, reason): return "tool \"\(excerpt(name))\": \(reason)"
        case let .unknownTool(name): return "no tool named \"\(excerpt(name))\" is registered"
        case let .unknownRetrieval(id):
            return "no record of retrieval \(id) is kept (expired, lost in a crash, not recorded, or not yet committed by "
                + "the process that ran it); report with the query instead (recordFeedback(query:…))"
        case let .invalidInput(reason): return reason
        case let .store(reason): return "store: \(reason)"
        case let .storeUnavailable(reason): return "store unavailable: \(reason)"
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
