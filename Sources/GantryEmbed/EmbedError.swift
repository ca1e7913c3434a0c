import GantryIO
import GantryMath

/// Errors of GantryEmbed: model files, tokenisation limits and encoder input.
public enum EmbedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model folder or one of its files is missing; `remedy` is the command that fetches it.
    case modelNotFound(path: String, missing: String, remedy: String)
    /// A model file that cannot be read or is damaged.
    case file(FileFormatError)
    /// A tensor the model needs is absent or has the wrong shape or dtype.
    case tensor(name: String, reason: String)
    /// A text longer than the encoder accepts before tokenisation (UTF-8 bytes).
    case textTooLong(index: Int, bytes: Int, limit: Int)
    /// Vectors of one embedder asked for by another (e.g. a `.npy` row count mismatch).
    case mismatch(String)

    /// A one-line message naming the file, tensor or text at fault and, for a missing model, the
    /// command that fetches it.
    public var description: String {
        switch self {
        case let .modelNotFound(path, missing, remedy):
            return "the MiniLM model is not at \(path) (missing \(missing)). \(remedy)"
        case let .file(error):
            return error.description
        case let .tensor(name, reason):
            return "model tensor \(name): \(reason)"
        case let .textTooLong(index, bytes, limit):
            return "text \(index) has \(bytes) bytes; the limit is \(limit) (split it first)"
        case let .mismatch(reason):
            return reason
        }
    }
}
