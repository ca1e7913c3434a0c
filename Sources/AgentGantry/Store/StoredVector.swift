import Foundation

/// How the store keeps a vector: its `Float`s as a little-endian BLOB.
@_spi(StoreImplementation) public enum StoredVector {
    /// The bytes of `vector`.
    public static func data(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The floats of a BLOB (empty for NULL).
    public static func floats(_ data: Data?) -> [Float] {
        guard let data else { return [] }
        // One memcpy (SQLite's buffer need not be aligned for Floats); `Data.copyBytes(to:)`
        // went byte by byte, a third of reading 100,000 stored tools.
        return [Float](unsafeUninitializedCapacity: data.count / 4) { values, count in
            data.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(values).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(values.count * 4)))
            }
            count = values.count
        }
    }
}
