import Foundation

/// How the store keeps a vector: its `Float`s as a little-endian BLOB.
enum StoredVector {
    static func data(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The floats of a BLOB (empty for NULL).
    static func floats(_ data: Data?) -> [Float] {
        guard let data else { return [] }
        var values = [Float](repeating: 0, count: data.count / 4)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }  // SQLite's buffer need not be aligned
        return values
    }
}
