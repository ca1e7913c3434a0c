/// Errors of the evaluation jobs that are not the facade's or the trainer's.
public enum EvalError: Error, CustomStringConvertible, Sendable {
    /// A file the job reads is missing or malformed.
    case file(path: String, reason: String)
    /// A file the job needs does not exist; `hint` says where it is expected.
    case missingFile(path: String, hint: String)

    public var description: String {
        switch self {
        case let .file(path, reason): "\(path): \(reason)"
        case let .missingFile(path, hint): "\(path) not found; \(hint)"
        }
    }
}
