import Foundation

/// How stores keep a feedback event's `queryTerms`: a BLOB of little-endian `UInt64`s, and in
/// the JSON event log an array of 16-digit hexadecimal strings (JSON numbers lose 64-bit
/// integers in many readers).
@_spi(StoreImplementation) public enum StoredTerms {
    /// The most term hashes one event may carry (a query of `Limits.queryBytes` has fewer terms).
    public static let maxCount = 8_192

    /// The bytes of `terms`.
    public static func data(_ terms: [UInt64]) -> Data {
        terms.map(\.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The hashes of a BLOB; nil for NULL, or for a BLOB that is not whole `UInt64`s (damaged:
    /// the event is read without them).
    public static func hashes(_ data: Data?) -> [UInt64]? {
        guard let data, data.count % 8 == 0, data.count / 8 <= maxCount else { return nil }
        return stride(from: 0, to: data.count, by: 8).map { offset in
            data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        }
    }

    /// `terms` as the event log writes them.
    public static func hexadecimal(_ terms: [UInt64]) -> [String] {
        terms.map { hash in
            let digits = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
    }

    /// The hashes of the event log's strings; nil unless each is 16 hexadecimal digits and there
    /// are at most `maxCount`.
    public static func hashes(hexadecimal strings: [String]) -> [UInt64]? {
        guard strings.count <= maxCount else { return nil }
        var hashes = [UInt64]()
        hashes.reserveCapacity(strings.count)
        for string in strings {
            guard string.utf8.count == 16, let hash = UInt64(string, radix: 16) else { return nil }
            hashes.append(hash)
        }
        return hashes
    }
}
