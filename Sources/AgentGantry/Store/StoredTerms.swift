import Foundation

/// How stores keep a feedback event's `queryTerms`: a BLOB of little-endian `UInt64`s, and in
/// the JSON event log an array of strings of 16 lowercase hexadecimal digits (JSON numbers lose
/// 64-bit integers in many readers).
@_spi(StoreImplementation) public enum StoredTerms {
    /// The most term hashes one event may carry: twice `Limits.queryBytes`. A query has at most
    /// one distinct part per byte and one joined identifier per two (`a1 b2 …` gives `a`, `1`,
    /// `a1`, … — 1.5 per byte at most), so every query's terms fit.
    public static let maxCount = 2 * Limits.queryBytes

    /// The bytes of `terms`.
    public static func data(_ terms: [UInt64]) -> Data {
        terms.map(\.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The hashes of a BLOB; nil for NULL, or for a BLOB that is not whole `UInt64`s (damaged:
    /// the event is read without them).
    public static func hashes(_ data: Data?) -> [UInt64]? {
        guard let data, data.count % 8 == 0, data.count / 8 <= maxCount else { return nil }
        return data.withUnsafeBytes { bytes in
            (0..<bytes.count / 8).map { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
        }
    }

    /// `terms` as the event log writes them.
    public static func hexadecimal(_ terms: [UInt64]) -> [String] {
        terms.map { hash in
            let digits = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    /// The hashes of the event log's strings, distinct and ascending (as `termHashes` gives
    /// them); nil unless each is 16 lowercase hexadecimal digits (no sign, no prefix) and there
    /// are at most `maxCount`.
    public static func hashes(hexadecimal strings: [String]) -> [UInt64]? {
        guard strings.count <= maxCount else { return nil }
        var hashes = Set<UInt64>(minimumCapacity: strings.count)
        for string in strings {
            guard string.utf8.count == 16 else { return nil }
            var hash: UInt64 = 0
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): hash = hash << 4 | UInt64(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): hash = hash << 4 | UInt64(byte - UInt8(ascii: "a") + 10)
                default: return nil
                }
            }
            hashes.insert(hash)
        }
        return hashes.sorted()
    }
}
