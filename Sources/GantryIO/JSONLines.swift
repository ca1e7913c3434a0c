/// JSON Lines (one JSON value per line): the split every line-oriented reader shares.
public enum JSONLines {
    /// One non-blank line: its 1-based number in the file and its bytes (without the newline).
    public struct Line: Sendable {
        /// The line's number in the file, counting from 1 and counting blank lines too, for error messages.
        public var number: Int
        /// The line's bytes, without the newline (a trailing carriage return is kept).
        public var bytes: ArraySlice<UInt8>
    }

    /// The lines of `bytes` that hold more than spaces, tabs and carriage returns, in order.
    public static func lines(of bytes: [UInt8]) -> [Line] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } ? nil : Line(number: index + 1, bytes: line)
        }
    }
}
