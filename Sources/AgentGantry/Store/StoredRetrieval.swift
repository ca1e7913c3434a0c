import Foundation

/// How stores keep retrieval records compactly (≤ 120 bytes a retrieval besides its query):
/// the query vector in half precision once per distinct query (keyed by `queryKey`), and the
/// shortlist as a BLOB of (tool number, score) pairs — the tool's number in the store's table of
/// tool names as an unsigned LEB128 varint, the score as a little-endian IEEE half.
@_spi(StoreImplementation) public enum StoredRetrieval {
    /// The largest magnitude a half keeps finite.
    public static let halfMaximum: Float = 65_504

    /// `vector` in half precision, little-endian.
    public static func halfData(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * 2)
        data.withUnsafeMutableBytes { bytes in
            for (i, value) in vector.enumerated() { bytes.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        }
        return data
    }

    /// The floats of a half-precision BLOB; nil for a BLOB of an odd length.
    public static func floats(half data: Data) -> [Float]? {
        guard data.count % 2 == 0 else { return nil }
        return data.withUnsafeBytes { bytes in
            (0..<bytes.count / 2).map { Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))) }
        }
    }

    /// `vector` as stored: rounded to half precision.
    public static func rounded(_ vector: [Float]) -> [Float] {
        vector.map { Float(Float16($0)) }
    }

    /// The key of a distinct query: a positive 63-bit FNV-1a hash of the model's identity, the
    /// half-precision vector and the kept text (or term hashes), so that one query asked again,
    /// by any process, is stored once.
    public static func queryKey(model: String, halfVector: Data, query: String?, terms: [UInt64]?) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        mix(model.utf8)
        mix([0xff])
        mix(halfVector)
        mix([query == nil ? 0 : 1])
        if let query { mix(query.utf8) }
        for term in terms ?? [] { mix(withUnsafeBytes(of: term.littleEndian) { Array($0) }) }
        return Int64(bitPattern: hash & 0x7fff_ffff_ffff_ffff) | 1
    }

    /// The shortlist BLOB of `entries`, each tool given by its number.
    public static func shortlistData(_ entries: [(tool: Int64, score: Float)]) -> Data {
        var data = Data()
        data.reserveCapacity(entries.count * 4)
        for (tool, score) in entries {
            var value = UInt64(tool)
            repeat {
                let low = UInt8(value & 0x7f)
                value >>= 7
                data.append(value == 0 ? low : low | 0x80)
            } while value != 0
            let bits = Float16(score).bitPattern
            data.append(UInt8(bits & 0xff))
            data.append(UInt8(bits >> 8))
        }
        return data
    }

    /// The (tool number, score) pairs of a shortlist BLOB; nil for bytes that are not whole pairs.
    public static func shortlistEntries(_ data: Data) -> [(tool: Int64, score: Float)]? {
        var entries = [(tool: Int64, score: Float)]()
        var i = data.startIndex
        while i < data.endIndex {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < data.endIndex, shift < 63 else { return nil }
                let byte = data[i]
                i += 1
                value |= UInt64(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            guard data.endIndex - i >= 2 else { return nil }
            let bits = UInt16(data[i]) | UInt16(data[i + 1]) << 8
            i += 2
            entries.append((Int64(value), Float(Float16(bitPattern: bits))))
        }
        return entries
    }

    /// A stored swapped rank (`RetrievalRecord.swappedRank`) when it names a pair of a shortlist
    /// of `count` tools below the first; nil for none, or for a value that does not (the record
    /// then counts as not explored).
    public static func swappedRank(_ stored: Int?, shortlist count: Int) -> Int? {
        guard let stored, stored >= 1, stored + 1 < count else { return nil }
        return stored
    }
}
