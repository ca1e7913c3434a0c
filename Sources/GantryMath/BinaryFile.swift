import GantryKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and crash-safe writes, with POSIX calls and typed errors.
public enum BinaryFile {
    /// The file's bytes. Reads in large chunks; the size comes from `fstat`, so a short read
    /// (a file truncated while reading) is an error, not silently less data.
    public static func read(_ path: String) throws(FileFormatError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open it", reason: lastError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, operation: "stat it", reason: lastError()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .io(path: path, operation: "read it", reason: "not a regular file")
        }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        var failure: String?
        bytes.withUnsafeMutableBytes { buffer in
            while done < size {
                let got = posixRead(fd, buffer.baseAddress! + done, min(size - done, 1 << 26))
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = lastError()
                    return
                }
                if got == 0 { break }
                done += got
            }
        }
        if let failure { throw .io(path: path, operation: "read it", reason: failure) }
        guard done == size else { throw .truncated(path: path, expectedBytes: size, foundBytes: done) }
        return bytes
    }

    /// Replaces `path` with `bytes` atomically: writes a temporary file beside it, fsyncs it,
    /// renames it over `path` and fsyncs the folder. A crash leaves the old file or the new
    /// one, never a mix; on failure the old file is untouched and the temporary is removed.
    /// Temporaries of `path` left by writers that were killed are removed first.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileFormatError) {
        removeStaleTemporaries(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create \(temporary)", reason: lastError()) }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let wrote = write(fd, buffer.baseAddress! + done, min(buffer.count - done, 1 << 26))
                if wrote < 0 {
                    if errno == EINTR { continue }
                    failure = "write: \(lastError())"
                    return
                }
                done += wrote
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync: \(lastError())" }
        if close(fd) != 0, failure == nil { failure = "close: \(lastError())" }
        if failure == nil, rename(temporary, path) != 0 { failure = "rename: \(lastError())" }
        if let failure {
            unlink(temporary)
            throw .io(path: path, operation: "write it", reason: failure)
        }
        syncDirectory(of: path)
    }

    /// CRC-32C of `bytes` (hardware-accelerated where the CPU has SSE4.2).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        gk_crc32c(0, bytes.baseAddress, bytes.count)
    }

    /// `checksum(bytes)` continued from the checksum of the bytes before them.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        gk_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// Makes a rename durable: fsync the folder that holds `path`.
    /// Unlinks `path.tmp-PID-*` files whose writing process no longer exists (a writer killed
    /// mid-write leaves one; the crash-safety harness found them piling up).
    private static func removeStaleTemporaries(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
        guard let directory = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasPrefix(prefix), let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink((folder.isEmpty ? "" : folder) + "/" + name)
        }
    }

    private static func syncDirectory(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    private static func posixRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }
}

/// Appends little-endian values to a byte array: the writing half of AgentGantry's binary files.
public struct BinaryWriter {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func append(_ value: some FixedWidthInteger) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func append(_ value: Float) { append(value.bitPattern) }

    /// A UTF-8 string, prefixed with its byte count as UInt32.
    public mutating func append(_ string: String) {
        let utf8 = Array(string.utf8)
        append(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Raw bytes, as they are.
    public mutating func append(bytes raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// Floats as little-endian IEEE-754, copied in one block on little-endian hosts.
    public mutating func append(floats: some ContiguousFloats) {
        floats.withUnsafeBufferPointer { buffer in
            #if _endian(little)
            bytes.append(contentsOf: UnsafeRawBufferPointer(buffer))
            #else
            for value in buffer { append(value) }
            #endif
        }
    }

    /// Overwrites 4 bytes at `offset` (e.g. a checksum computed after the payload).
    public mutating func patch(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { bytes[offset + i] = raw[i] }
        }
    }
}

/// Reads little-endian values from a byte array with bounds checks: every read past the end
/// is `FileFormatError.truncated`, never an out-of-bounds access.
public struct BinaryReader {
    public let bytes: [UInt8]
    public let path: String
    public private(set) var offset = 0

    public init(_ bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - offset }

    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(FileFormatError) -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            bytes.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + size])) }
        }
        offset += size
        return T(littleEndian: value)
    }

    public mutating func readFloat() throws(FileFormatError) -> Float { Float(bitPattern: try read(UInt32.self)) }

    /// A string written by `BinaryWriter.append(_: String)`, at most `maxBytes` long.
    public mutating func readString(maxBytes: Int = 1 << 16) throws(FileFormatError) -> String {
        let count = Int(try read(UInt32.self))
        guard count <= maxBytes else {
            throw .malformed(path: path, reason: "a string of \(count) bytes at offset \(offset - 4) (limit \(maxBytes))")
        }
        try require(count)
        defer { offset += count }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    /// `count` floats, copied in one block on little-endian hosts.
    public mutating func readFloats(_ count: Int) throws(FileFormatError) -> [Float] {
        let (size, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow, count >= 0 else { throw .malformed(path: path, reason: "a float count of \(count)") }
        try require(size)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { raw in
            bytes.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + size])) }
        }
        #if !_endian(little)
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        #endif
        offset += size
        return values
    }

    /// `count` little-endian Int32 values, copied in one block on little-endian hosts.
    public mutating func readInt32s(_ count: Int) throws(FileFormatError) -> [Int32] {
        let (size, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow, count >= 0 else { throw .malformed(path: path, reason: "an integer count of \(count)") }
        try require(size)
        var values = [Int32](repeating: 0, count: count)
        values.withUnsafeMutableBytes { raw in
            bytes.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + size])) }
        }
        #if !_endian(little)
        for i in values.indices { values[i] = Int32(littleEndian: values[i]) }
        #endif
        offset += size
        return values
    }

    /// `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws(FileFormatError) -> [UInt8] {
        try require(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws(FileFormatError) {
        try require(count)
        offset += count
    }

    private func require(_ count: Int) throws(FileFormatError) {
        guard count >= 0, count <= remaining else {
            let wanted = max(count, 0)
            throw .truncated(path: path, expectedBytes: wanted > Int.max - offset ? Int.max : offset + wanted, foundBytes: bytes.count)
        }
    }
}
