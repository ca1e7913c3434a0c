import GantryIO

/// Errors of the evaluation jobs that are not the facade's or the trainer's.
public enum EvalError: Error, CustomStringConvertible, Sendable {
    /// A file could not be read.
    case unreadable(FileFormatError)
    /// Line `line` (1-based) of a line-oriented file is malformed.
    case line(path: String, line: Int, reason: String)
    /// A file the job needs does not exist; `hint` says where it is expected.
    case missingFile(path: String, hint: String)

    /// A one-line message starting with the file (and `:line`), as compilers print locations.
    public var description: String {
        switch self {
        case let .unreadable(error): error.description
        case let .line(path, line, reason): "\(path):\(line): \(reason)"
        case let .missingFile(path, hint): "\(path) not found; \(hint)"
        }
    }
}
