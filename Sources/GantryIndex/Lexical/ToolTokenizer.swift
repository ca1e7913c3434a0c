import Foundation

/// Splits tool text — names such as `getUserByID` or `cancel_subscription_v2`, descriptions,
/// parameter names, queries — into the terms a `LexicalIndex` counts.
///
/// An *identifier* is a run of letters, digits, combining marks and underscores; anything else
/// (spaces, punctuation, symbols) ends one. Inside an identifier a part ends at an underscore,
/// between a letter and a digit, where a lowercase letter meets an uppercase one (`getUser` →
/// `get`, `user`), before the last capital of a run of capitals followed by a lowercase word of
/// two letters or more (`HTTPServer` → `http`, `server`; but `APIs`, `URLs` and `IPv6` keep their
/// capitals with the letter after them), and where letters of a script without case meet
/// others. Each part is a term; an identifier of more than one part also gives its parts joined
/// as one more term (`getUserByID` and `get_user_by_id` both give `getuserbyid`; `OAuth` gives
/// `o`, `auth` and `oauth`), so a query naming a tool exactly, or writing it as one word, matches
/// it more strongly than its words. Terms are folded: lowercase, without diacritics, full-width
/// forms narrowed (`Café` → `cafe`), and at most `maxTermBytes` long.
public enum ToolTokenizer {
    /// The terms of `text`, in order (repeats kept: a term's count is its frequency).
    public static func terms(_ text: String) -> [String] {
        if let terms = text.utf8.withContiguousStorageIfAvailable(asciiTerms), let terms { return terms }
        return unicodeTerms(text)
    }

    /// The 64-bit FNV-1a hash of `term`'s UTF-8 bytes: a term's stable id, the same in every
    /// process and version, under which feedback keeps its query's terms when it does not keep
    /// the text (`termHashes`).
    public static func termHash(_ term: String) -> UInt64 {
        termHash(bytes: term.utf8)
    }

    /// `termHash` of a term's UTF-8 bytes.
    static func termHash(bytes: some Sequence<UInt8>) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// The hashes (`termHash`) of the distinct terms of `text`, ascending: what a `LexicalIndex`
    /// needs to score the text (`LexicalIndex.scores(termHashes:)`), without the words' order or
    /// repeats. Not anonymous: a dictionary of likely words reverses them.
    public static func termHashes(_ text: String) -> [UInt64] {
        Set(terms(text).map(termHash)).sorted()
    }

    /// `terms(_:)` of any text, scalar by scalar.
    static func unicodeTerms(_ text: String) -> [String] {
        var terms = [String](), parts = [String](), part = String.UnicodeScalarView()
        var previous: Kind?, ascii = true
        let scalars = Array(text.unicodeScalars)
        func endPart() {
            guard !part.isEmpty else { return }
            parts.append(capped(ascii ? String(part).lowercased() : fold(String(part))))
            part = String.UnicodeScalarView()
            ascii = true
        }
        func endIdentifier() {
            endPart()
            terms += parts
            if parts.count > 1 { terms.append(capped(parts.joined())) }
            parts.removeAll(keepingCapacity: true)
        }
        /// How many lowercase letters follow from `start`.
        func lowercaseWord(at start: Int) -> Int {
            var end = start
            while end < scalars.count, Kind(scalars[end]) == .lower { end += 1 }
            return end - start
        }
        for (i, scalar) in scalars.enumerated() {
            let kind = Kind(scalar)
            switch kind {
            case .mark:
                guard !part.isEmpty else { continue }  // a mark with nothing to sit on
                part.append(scalar)
                ascii = false
                continue
            case .underscore:
                endPart()
            case .separator:
                endIdentifier()
            case .lower, .upper, .caseless, .digit:
                if !part.isEmpty {
                    let splits = (kind == .digit) != (previous == .digit) || (kind == .caseless) != (previous == .caseless)
                        || (previous == .lower && kind == .upper)
                        || (previous == .upper && kind == .upper && lowercaseWord(at: i + 1) >= 2)
                    if splits { endPart() }
                }
                part.append(scalar)
                ascii = ascii && scalar.isASCII
            }
            previous = kind
        }
        endIdentifier()
        return terms
    }

    /// `terms(_:)` of ASCII text (most tool text and queries), on its bytes: the same rules without
    /// the Unicode properties, folding or `String` building per scalar. Nil when `bytes` holds a
    /// byte beyond ASCII.
    static func asciiTerms(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        var terms = [String]()
        guard forEachASCIITerm(bytes, { terms.append(String(decoding: $0, as: UTF8.self)) }) else { return nil }
        return terms
    }

    /// Calls `body` with the UTF-8 bytes of each term of ASCII text, in order (what `terms(_:)`
    /// gives, without making a `String` of each: a search looks its terms up by their bytes).
    /// The bytes are valid only during the call. False, and no call, when `bytes` holds a byte
    /// beyond ASCII.
    static func forEachASCIITerm(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        enum Kind { case lower, upper, digit, underscore, separator }
        func kind(_ byte: UInt8) -> Kind {
            switch byte {
            case 0x61...0x7A: .lower
            case 0x41...0x5A: .upper
            case 0x30...0x39: .digit
            case 0x5F: .underscore
            default: .separator
            }
        }
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxTermBytes) { term in
            var parts = [Range<Int>](), partStart = 0, previous = Kind.separator
            /// The lowercase term of `ranges` of `bytes`, joined and cut to `maxTermBytes`, to `body`.
            func emit(_ ranges: some Collection<Range<Int>>) {
                var at = 0
                for range in ranges {
                    for i in range where at < maxTermBytes {
                        term[at] = bytes[i] &- 0x41 < 26 ? bytes[i] | 0x20 : bytes[i]
                        at += 1
                    }
                }
                body(UnsafeBufferPointer(rebasing: term[..<at]))
            }
            func endPart(at end: Int) {
                if partStart < end { parts.append(partStart..<end) }
                partStart = end
            }
            func endIdentifier(at end: Int) {
                endPart(at: end)
                for part in parts { emit(CollectionOfOne(part)) }
                if parts.count > 1 { emit(parts) }
                parts.removeAll(keepingCapacity: true)
            }
            for i in bytes.indices {
                let current = kind(bytes[i])
                switch current {
                case .underscore:
                    endPart(at: i)
                    partStart = i + 1
                case .separator:
                    endIdentifier(at: i)
                    partStart = i + 1
                case .lower, .upper, .digit:
                    if partStart < i {
                        var splits = (current == .digit) != (previous == .digit) || (previous == .lower && current == .upper)
                        if !splits, previous == .upper, current == .upper {  // before the last capital of a run followed by a lowercase word of 2+
                            var end = i + 1
                            while end < bytes.count, kind(bytes[end]) == .lower { end += 1 }
                            splits = end - (i + 1) >= 2
                        }
                        if splits { endPart(at: i) }
                    }
                }
                previous = current
            }
            endIdentifier(at: bytes.count)
            return true
        }
    }

    /// The most UTF-8 bytes of a term; longer ones (a run of base64, a hash) are cut to their
    /// first whole Unicode scalars within it.
    public static let maxTermBytes = 128

    /// `term`, cut to `maxTermBytes`.
    static func capped(_ term: String) -> String {
        guard term.utf8.count > maxTermBytes else { return term }
        var cut = String.UnicodeScalarView(), bytes = 0
        for scalar in term.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= maxTermBytes else { break }
            cut.append(scalar)
        }
        return String(cut)
    }

    /// Lowercase, without diacritics, full-width forms narrowed.
    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// What a scalar is to the tokenizer.
    private enum Kind: Equatable {
        /// `caseless`: letters of scripts without case (CJK, Arabic…).
        case lower, upper, caseless, digit, mark, underscore, separator

        init(_ scalar: Unicode.Scalar) {
            if scalar.isASCII {
                switch scalar.value {
                case 0x61...0x7A: self = .lower
                case 0x41...0x5A: self = .upper
                case 0x30...0x39: self = .digit
                case 0x5F: self = .underscore
                default: self = .separator
                }
                return
            }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: self = .mark
            case .decimalNumber, .letterNumber, .otherNumber: self = .digit
            case .uppercaseLetter, .titlecaseLetter: self = .upper
            case .lowercaseLetter: self = .lower
            case .modifierLetter, .otherLetter: self = .caseless
            default: self = .separator
            }
        }
    }
}
