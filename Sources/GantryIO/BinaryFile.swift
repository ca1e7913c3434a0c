import GantryKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads, crash-safe writes and the CRC-32C checksum, with POSIX calls and typed errors.
public enum BinaryFile {
    /// The file's bytes. The size comes from `fstat`, so a short read (a file truncated while
    /// reading) is an error, not silently less data.
    public static func read(_ path: String) throws(FileFormatError) -> [UInt8] {
        var reader = try BinaryReader(contentsOf: path)
        return try reader.readBytes(reader.totalBytes)
    }

    /// Replaces `path` with `bytes` atomically: writes a temporary file beside it, fsyncs it,
    /// renames it over `path` and fsyncs the folder. A crash leaves the old file or the new
    /// one, never a mix; on failure the old file is untouched and the temporary is removed.
    /// Temporaries of `path` left by writers that were killed are removed first.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileFormatError) {
        try writeAtomically(contentsOf: [bytes], to: path)
    }

    /// `writeAtomically` of the parts one after the other, without joining them in memory first.
    static func writeAtomically(contentsOf parts: [[UInt8]], to path: String) throws(FileFormatError) {
        removeStaleTemporaries(of: path)
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, operation: "create \(temporary)", reason: lastErrorDescription()) }
        var failure: String?
        for part in parts where failure == nil {
            part.withUnsafeBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let wrote = write(fd, buffer.baseAddress! + done, min(buffer.count - done, 1 << 26))
                    if wrote < 0 {
                        if errno == EINTR { continue }
                        failure = "write: \(lastErrorDescription())"
                        return
                    }
                    done += wrote
                }
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "fsync: \(lastErrorDescription())" }
        if close(fd) != 0, failure == nil { failure = "close: \(lastErrorDescription())" }
        if failure == nil, rename(temporary, path) != 0 { failure = "rename: \(lastErrorDescription())" }
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

    /// Makes a rename durable: fsync the folder that holds `path`.
    private static func syncDirectory(of path: String) {
        let folder = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
