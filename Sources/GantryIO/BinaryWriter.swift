/// Appends little-endian values to a byte array: the writing half of AgentGantry's binary files.
public struct BinaryWriter {
    /// Everything appended so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer with room for `capacity` bytes.
    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// An integer, little-endian.
    public mutating func append(_ value: some FixedWidthInteger) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A float as its little-endian IEEE-754 bits.
    public mutating func append(_ value: Float) { append(value.bitPattern) }

    /// A UTF-8 string, prefixed with its byte count as UInt32.
    public mutating func append(_ string: String) {
        let utf8 = Array(string.utf8)
        append(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Raw bytes, as they are.
    public mutating func append(bytes raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// Floats as little-endian IEEE-754, copied in one block from contiguous storage on
    /// little-endian hosts (`[Float]`, `ArraySlice<Float>`, buffer pointers).
    public mutating func append(floats: some Collection<Float>) {
        #if _endian(little)
        let copied: Void? = floats.withContiguousStorageIfAvailable { bytes.append(contentsOf: UnsafeRawBufferPointer($0)) }
        if copied != nil { return }
        #endif
        for value in floats { append(value) }
    }

    /// Overwrites 4 bytes at `offset` (e.g. a checksum computed after the payload).
    public mutating func patch(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }
}
