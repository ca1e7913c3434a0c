import GantryKernels

/// Reads little-endian values from bytes in memory or from a file, with bounds checks: every
/// read past the end is `FileFormatError.truncated`, never an out-of-bounds access.
///
/// Over a file (`init(contentsOf:)`) the reader keeps a window of at most 64 KiB for small
/// values, and bulk reads (`readFloats`, `readInt32s`, `readBytes`) larger than the window go
/// from the file straight into their destination: reading an N-byte file into final storage
/// needs N bytes, not 2N. Reads are positioned `pread`s against the size the file had when it
/// was opened; if the file is truncated meanwhile, the read that runs out throws `.truncated`.
///
/// After `startChecksum()` the reader keeps the CRC-32C of the bytes it hands out, computed on
/// the bytes where they landed, so what a checksum verifies is exactly what the caller got.
public struct BinaryReader {
    /// Names the source in errors.
    public let path: String
    /// Bytes in the source (for a file: its size when it was opened).
    public let totalBytes: Int
    /// Position of the next byte to read, from the start of the source.
    public private(set) var offset = 0

    /// nil: `window` holds the whole source.
    private let file: ReadOnlyFile?
    /// Source bytes `windowStart ..< windowStart + windowCount` (a file's window is refilled
    /// from `offset` when a read runs past it). Rule: `windowStart <= offset <= window end`.
    private var window: [UInt8]
    private var windowStart = 0
    private var windowCount: Int
    /// The running checksum covers the bytes from `startChecksum()` to `checksummedUpTo`;
    /// the bytes from there to `offset` are still in the window and are folded in lazily.
    private var checksumming = false
    private var crc: UInt32 = 0
    private var checksummedUpTo = 0

    static let windowCapacity = 1 << 16

    /// A reader over `bytes`; `path` names them in errors.
    public init(_ bytes: [UInt8], path: String) {
        self.path = path
        totalBytes = bytes.count
        file = nil
        window = bytes
        windowCount = bytes.count
    }

    /// A reader over the regular file at `path`, which it keeps open until the reader (and its
    /// copies) are gone.
    public init(contentsOf path: String) throws(FileFormatError) {
        let file = try ReadOnlyFile(path: path)
        self.path = path
        totalBytes = file.size
        self.file = file
        window = [UInt8](repeating: 0, count: min(file.size, Self.windowCapacity))
        windowCount = 0
    }

    /// Bytes not read yet.
    public var remaining: Int { totalBytes - offset }

    /// An integer, little-endian.
    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(FileFormatError) -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        try fill(size)
        var value = T.zero
        let start = offset - windowStart
        withUnsafeMutableBytes(of: &value) { raw in
            window.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + size])) }
        }
        offset += size
        return T(littleEndian: value)
    }

    /// A float from its little-endian IEEE-754 bits.
    public mutating func readFloat() throws(FileFormatError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    /// A string written by `BinaryWriter.append(_: String)`, at most `maxBytes` long.
    public mutating func readString(maxBytes: Int = 1 << 16) throws(FileFormatError) -> String {
        let count = Int(try read(UInt32.self))
        guard count <= maxBytes else {
            throw .malformed(path: path, reason: "a string of \(count) bytes at offset \(offset - 4) (limit \(maxBytes))")
        }
        try require(count)
        guard count <= window.count else { return String(decoding: try readBytes(count), as: UTF8.self) }
        try fill(count)
        let start = offset - windowStart
        defer { offset += count }
        return String(decoding: window[start..<start + count], as: UTF8.self)
    }

    /// `count` floats, copied in one block on little-endian hosts.
    public mutating func readFloats(_ count: Int) throws(FileFormatError) -> [Float] {
        var values = try readArray(count, of: Float.self, "a float")
        values.withUnsafeMutableBufferPointer { Self.fromLittleEndian($0) }
        return values
    }

    /// `count` little-endian Int32 values, copied in one block on little-endian hosts.
    public mutating func readInt32s(_ count: Int) throws(FileFormatError) -> [Int32] {
        var values = try readArray(count, of: Int32.self, "an integer")
        values.withUnsafeMutableBufferPointer { Self.fromLittleEndian($0) }
        return values
    }

    /// `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(FileFormatError) -> [UInt8] {
        try readArray(count, of: UInt8.self, "a byte")
    }

    /// Throws unless `count` floats remain to be read: checked before a caller allocates storage
    /// for them, so a corrupt count never allocates more than the file holds.
    public func checkRemaining(floats count: Int) throws(FileFormatError) {
        let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, count >= 0 else { throw .malformed(path: path, reason: "a float count of \(count)") }
        try require(size)
    }

    /// Fills `buffer` with the next floats (storage the caller owns, e.g. an index's vectors).
    public mutating func readFloats(into buffer: UnsafeMutableBufferPointer<Float>) throws(FileFormatError) {
        try readBytes(into: UnsafeMutableRawBufferPointer(buffer))
        Self.fromLittleEndian(buffer)
    }

    /// Fills `buffer` with the next little-endian Int32 values.
    public mutating func readInt32s(into buffer: UnsafeMutableBufferPointer<Int32>) throws(FileFormatError) {
        try readBytes(into: UnsafeMutableRawBufferPointer(buffer))
        Self.fromLittleEndian(buffer)
    }

    /// Fills `buffer` with the next bytes: small reads through the window, large ones from the
    /// file straight into `buffer`.
    public mutating func readBytes(into buffer: UnsafeMutableRawBufferPointer) throws(FileFormatError) {
        try require(buffer.count)
        guard buffer.count > 0 else { return }
        if buffer.count <= window.count {
            try fill(buffer.count)
            let start = offset - windowStart
            window.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + buffer.count])) }
            offset += buffer.count
            return
        }
        // Larger than the window (so from a file): what the window holds, then the rest directly.
        let fromWindow = windowStart + windowCount - offset
        if fromWindow > 0 {
            let start = offset - windowStart
            window.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[..<fromWindow]).copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<start + fromWindow])) }
            offset += fromWindow
        }
        guard let file else { return }
        foldChecksum()
        let target = UnsafeMutableRawBufferPointer(rebasing: buffer[fromWindow...])
        let got = try file.read(into: target, at: offset).get()
        guard got == target.count else { throw .truncated(path: path, expectedBytes: totalBytes, foundBytes: offset + got) }
        if checksumming { crc = gk_crc32c(crc, target.baseAddress, target.count) }
        offset += target.count
        (windowStart, windowCount, checksummedUpTo) = (offset, 0, offset)
    }

    /// Skips `count` bytes (from a file, they are still read: the checksum covers them).
    public mutating func skip(_ count: Int) throws(FileFormatError) {
        try require(count)
        var left = count
        while left > 0 {
            let step = min(left, window.count)
            try fill(step)
            offset += step
            left -= step
        }
    }

    /// Starts a CRC-32C of the bytes read from here on.
    public mutating func startChecksum() {
        checksumming = true
        crc = 0
        checksummedUpTo = offset
    }

    /// The CRC-32C of the bytes read since `startChecksum()`.
    public mutating func checksum() -> UInt32 {
        foldChecksum()
        return crc
    }

    // MARK: the window

    private func require(_ count: Int) throws(FileFormatError) {
        guard count >= 0, count <= remaining else {
            let wanted = max(count, 0)
            throw .truncated(path: path, expectedBytes: wanted > Int.max - offset ? Int.max : offset + wanted, foundBytes: totalBytes)
        }
    }

    /// Makes the `count` bytes at `offset` available in the window (`count <= window.count`,
    /// and `require(count)` passed): keeps the unread tail, refills the rest from the file.
    private mutating func fill(_ count: Int) throws(FileFormatError) {
        guard offset + count > windowStart + windowCount, let file else { return }
        foldChecksum()
        let (position, kept, consumed) = (offset, windowStart + windowCount - offset, offset - windowStart)
        let wanted = min(window.count, totalBytes - position)
        let result = window.withUnsafeMutableBytes { raw in
            if kept > 0 { raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: kept) }
            return file.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[kept..<wanted]), at: position + kept)
        }
        let got = try result.get()
        (windowStart, windowCount) = (position, kept + got)
        guard windowCount >= count else { throw .truncated(path: path, expectedBytes: totalBytes, foundBytes: position + windowCount) }
    }

    /// Folds the window bytes from `checksummedUpTo` to `offset` into the running checksum.
    private mutating func foldChecksum() {
        if checksumming, offset > checksummedUpTo {
            let (from, to) = (checksummedUpTo - windowStart, offset - windowStart)
            let running = crc
            crc = window.withUnsafeBytes { gk_crc32c(running, $0.baseAddress! + from, to - from) }
        }
        checksummedUpTo = offset
    }

    /// A new array of `count` values of `T` filled from the next bytes (checked against the
    /// bytes present before allocating).
    private mutating func readArray<T>(_ count: Int, of _: T.Type, _ what: String) throws(FileFormatError) -> [T] {
        let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow, count >= 0 else { throw .malformed(path: path, reason: "\(what) count of \(count)") }
        try require(size)
        var failure: FileFormatError?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FileFormatError) {
                try readBytes(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return values
    }

    /// Byte-swaps little-endian values in place on big-endian hosts; nothing on little-endian ones.
    private static func fromLittleEndian(_ buffer: UnsafeMutableBufferPointer<Float>) {
        #if !_endian(little)
        for i in buffer.indices { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
        #endif
    }

    private static func fromLittleEndian(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        #if !_endian(little)
        for i in buffer.indices { buffer[i] = Int32(littleEndian: buffer[i]) }
        #endif
    }
}
