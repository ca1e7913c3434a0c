import GantryEmbed
import GantryMath

/// The embedder of the facade cases: each lowercased word adds ±1 to one of 32 buckets chosen by
/// its FNV-1a hash, and the sum is normalised. Deterministic, and texts sharing words are close.
public struct WordHashEmbedder: Embedder {
    /// 32.
    public let dimension = 32
    /// `conformance-word-hash-32`.
    public var modelIdentity: String { "conformance-word-hash-32" }

    /// The embedder.
    public init() {}

    /// One unit vector per text.
    public func embed(_ texts: [String]) throws -> Matrix {
        try Matrix(rows: texts.count, cols: dimension, values: texts.flatMap(vector))
    }

    private func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            vector[Int(hash % UInt64(dimension))] += hash >> 63 == 0 ? 1 : -1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : [1] + [Float](repeating: 0, count: dimension - 1)
    }
}
