import GantryEmbed
import GantryMath

/// A deterministic embedder for tests that need a score scale other than MiniLM's: each feature
/// of a text (a word, or a character trigram of a word) adds ±1 to one of `dimension` buckets
/// chosen by its FNV-1a hash; the sum is normalized. Texts sharing no feature are near
/// orthogonal, texts sharing most are close, and identical texts embed identically.
struct HashingEmbedder: Embedder {
    enum Features: String, Sendable {
        case words, trigrams
    }

    let dimension: Int
    let features: Features

    var modelIdentity: String { "hashing-\(features.rawValue)-\(dimension)" }

    func embed(_ texts: [String]) throws -> Matrix {
        try Matrix(rows: texts.count, cols: dimension, values: texts.flatMap(vector))
    }

    private func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        for feature in words.flatMap(featuresOf) {
            let hash = Self.fnv1a(feature)
            vector[Int(hash % UInt64(dimension))] += hash >> 63 == 0 ? 1 : -1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    private func featuresOf(_ word: String) -> [String] {
        switch features {
        case .words: return [word]
        case .trigrams:
            let padded = Array("#\(word)#")
            return (0..<max(padded.count - 2, 1)).map { String(padded[$0..<min($0 + 3, padded.count)]) }
        }
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
