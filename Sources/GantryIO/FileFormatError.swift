/// Errors reading or writing AgentGantry's files (`.npy`, and the formats other modules build on
/// `FileEnvelope`, `BinaryWriter` and `BinaryReader`). Each names the file and what is wrong with it.
public enum FileFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file cannot be opened, read or written (the OS's reason attached).
    case io(path: String, operation: String, reason: String)
    /// The file ends before the data its header promises (or was truncated while it was read).
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    /// The file is not of the expected kind, or its header is malformed.
    case malformed(path: String, reason: String)
    /// A well-formed file of a kind or version this build does not read.
    case unsupported(path: String, reason: String)
    /// The header or the payload does not match its checksum: the file was damaged after it was
    /// written.
    case checksumMismatch(path: String, expected: UInt32, found: UInt32)

    /// A one-line message that starts with the file's path and says what is wrong and, where there
    /// is one, how to fix it (`… is truncated: expected 4096 bytes, found 1024; rewrite or re-copy the file`).
    public var description: String {
        switch self {
        case let .io(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        case let .truncated(path, expected, found):
            return "\(path) is truncated: expected \(expected) bytes, found \(found); rewrite or re-copy the file"
        case let .malformed(path, reason):
            return "\(path) is malformed: \(reason)"
        case let .unsupported(path, reason):
            return "\(path) is not supported: \(reason)"
        case let .checksumMismatch(path, expected, found):
            return "\(path) is corrupt: checksum \(String(found, radix: 16)) does not match the "
                + "recorded \(String(expected, radix: 16)); rebuild the file"
        }
    }
}
