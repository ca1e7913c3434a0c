import Foundation
import GantryIO
import GantryMath

/// BERT's uncased WordPiece tokenizer, as Hugging Face `tokenizers` runs it for
/// all-MiniLM-L6-v2 (`BertNormalizer`, `BertPreTokenizer`, `WordPiece`, `[CLS] … [SEP]`):
///
/// 1. clean: drop NUL, U+FFFD and control/format/private-use/unassigned characters (tab, CR
///    and LF excepted); every whitespace character becomes a space;
/// 2. put spaces around CJK ideographs;
/// 3. strip accents: NFD, then drop non-spacing marks (Mn); 4. lower-case (per character, full mapping);
/// 5. split on whitespace, and around every punctuation character (ASCII punctuation and
///    Unicode P* categories);
/// 6. each word: greedy longest-match-first against the vocabulary, continuation pieces
///    prefixed `##`; a word with no match, or longer than 100 characters, is `[UNK]`.
public struct WordPieceTokenizer: Sendable {
    /// Word pieces and their ids (a continuation piece starts with `##`).
    public let vocabulary: [String: Int32]
    /// The id of `[UNK]`, given for a word that no sequence of pieces spells.
    public let unknownID: Int32
    /// The id of `[CLS]`, the first token of every encoding.
    public let classID: Int32
    /// The id of `[SEP]`, the last token of every encoding.
    public let separatorID: Int32
    /// The id of `[PAD]`, or 0 when the vocabulary has none. `encode` never pads; the id is for
    /// callers that batch encodings into a rectangle.
    public let paddingID: Int32
    /// Word pieces per text, including `[CLS]` and `[SEP]` (sentence-transformers' max_seq_length).
    public let maxLength: Int
    static let maxCharactersPerWord = 100

    /// Loads `vocab.txt` (one token per line; line i has id i).
    public init(vocabularyFile path: String, maxLength: Int = 256) throws(EmbedError) {
        let bytes: [UInt8]
        do { bytes = try BinaryFile.read(path) } catch { throw .file(error) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .file(.malformed(path: path, reason: "not UTF-8 text"))
        }
        var vocabulary = [String: Int32]()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            vocabulary[String(line.hasSuffix("\r") ? line.dropLast() : line)] = Int32(index)
        }
        try self.init(vocabulary: vocabulary, maxLength: maxLength)
    }

    /// A tokenizer over `vocabulary`, which must hold `[UNK]`, `[CLS]` and `[SEP]`; `maxLength` counts
    /// those two and must be at least 2. Throws `EmbedError.mismatch` otherwise.
    public init(vocabulary: [String: Int32], maxLength: Int = 256) throws(EmbedError) {
        guard let unknown = vocabulary["[UNK]"], let cls = vocabulary["[CLS]"], let sep = vocabulary["[SEP]"] else {
            throw .mismatch("the vocabulary lacks [UNK], [CLS] or [SEP]")
        }
        guard maxLength >= 2 else { throw .mismatch("maxLength must be at least 2 (for [CLS] and [SEP])") }
        self.vocabulary = vocabulary
        unknownID = unknown
        classID = cls
        separatorID = sep
        paddingID = vocabulary["[PAD]"] ?? 0
        self.maxLength = maxLength
    }

    /// Token ids of `text`: `[CLS]`, at most `maxLength − 2` word pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [classID]
        let budget = maxLength - 1
        outer: for word in words(normalize(text)) {
            for piece in wordPieces(word) {
                if ids.count == budget { break outer }
                ids.append(piece)
            }
        }
        ids.append(separatorID)
        return ids
    }

    /// The normalized text (steps 1–4).
    func normalize(_ text: String) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var result = [Unicode.Scalar]()
        result.reserveCapacity(cleaned.count)
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark: continue  // Mn only, as the reference: spacing marks (Mc) stay
            default: result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return result
    }

    /// Words after splitting on whitespace and isolating punctuation (step 5).
    func words(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words = [ArraySlice<Unicode.Scalar>]()
        var start = 0
        for (i, scalar) in scalars.enumerated() {
            if Self.isWhitespace(scalar) {
                if start < i { words.append(scalars[start..<i]) }
                start = i + 1
            } else if Self.isPunctuation(scalar) {
                if start < i { words.append(scalars[start..<i]) }
                words.append(scalars[i..<i + 1])
                start = i + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    /// Greedy longest-match-first word pieces of one word (step 6).
    func wordPieces(_ word: ArraySlice<Unicode.Scalar>) -> [Int32] {
        guard word.count <= Self.maxCharactersPerWord else { return [unknownID] }
        var pieces = [Int32]()
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var match: Int32?
            while start < end {
                var candidate = start == word.startIndex ? "" : "##"
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] {
                    match = id
                    break
                }
                end -= 1
            }
            guard let id = match else { return [unknownID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar.properties.isWhitespace
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "\t" || scalar == "\n" || scalar == "\r" { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .unassigned, .surrogate: return true
        default: return false
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation, .initialPunctuation,
             .otherPunctuation, .openPunctuation:
            return true
        default:
            return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
