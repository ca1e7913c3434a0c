/// A rule that refuses some Unicode scalars in a text (control characters in a name, say),
/// decided by a predicate on the scalar's properties, with the answers for the 128 ASCII scalars
/// worked out once: nearly every name and description is ASCII, and a property lookup per
/// character was a third of the time an open spends validating stored tools.
struct ScalarRule: Sendable {
    private let matches: @Sendable (Unicode.Scalar) -> Bool
    /// `matches` of each ASCII scalar, by its value.
    private let asciiMatches: [Bool]

    init(_ matches: @escaping @Sendable (Unicode.Scalar) -> Bool) {
        self.matches = matches
        asciiMatches = (0..<128).map { matches(Unicode.Scalar(UInt8($0))) }
    }

    /// Whether a scalar of `text` matches the rule: byte by byte while the text is ASCII, scalar
    /// by scalar otherwise.
    func matchesAny(in text: String) -> Bool {
        for byte in text.utf8 {
            guard byte < 0x80 else { return text.unicodeScalars.contains(where: matches) }
            if asciiMatches[Int(byte)] { return true }
        }
        return false
    }

    /// Control characters (general category Cc).
    static let controlCharacters = ScalarRule { $0.properties.generalCategory == .control }
}
