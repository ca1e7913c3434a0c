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
    ///
    /// The temporary is locked (`flock`, exclusive) from its creation until after its rename or
    /// removal: the lock, which dies with the process, is what tells `removeStaleTemporaries`
    /// in any process that this writer is alive.
    static func writeAtomically(contentsOf parts: [[UInt8]], to path: String) throws(FileFormatError) {
        removeStaleTemporaries(of: path)
        let (temporary, fd) = try createLockedTemporary(of: path)
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
        if failure == nil, rename(temporary, path) != 0 { failure = "rename: \(lastErrorDescription())" }
        if let failure {
            unlink(temporary)
            close(fd)
            throw .io(path: path, operation: "write it", reason: failure)
        }
        // Closed (and unlocked) only now that the temporary's name is gone. The result of close
        // is not needed: fsync has reported any write error already.
        close(fd)
        syncDirectory(of: path)
    }

    /// Creates `path.tmp-RANDOM` (hexadecimal; `O_EXCL`) and locks it. A sweep in another
    /// process may lock the new file before this writer does, and then unlinks it: a temporary
    /// whose lock is taken, or whose name no longer leads to the locked file, is given up for a
    /// new name.
    private static func createLockedTemporary(of path: String) throws(FileFormatError) -> (path: String, fd: Int32) {
        let attempts = 8
        for _ in 0..<attempts {
            let temporary = "\(path).tmp-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw .io(path: path, operation: "create \(temporary)", reason: lastErrorDescription())
            }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                if names(temporary, fd) { return (temporary, fd) }
            } else if errno != EWOULDBLOCK {
                let reason = lastErrorDescription()
                unlink(temporary)
                close(fd)
                throw .io(path: path, operation: "lock \(temporary)",
                          reason: "\(reason); atomic writes need a folder on a filesystem with flock locks")
            }
            close(fd)  // taken by a sweep, which unlinks it
        }
        throw .io(path: path, operation: "create a temporary file beside it",
                  reason: "\(attempts) new temporaries in a row were taken by other processes; retry the write")
    }

    /// CRC-32C of `bytes` (hardware-accelerated where the CPU has SSE4.2).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        gk_crc32c(0, bytes.baseAddress, bytes.count)
    }

    /// `checksum(bytes)` continued from the checksum of the bytes before them.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        gk_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// Unlinks the temporaries of `path` that no writer holds. A writer locks its temporary from
    /// creation until after its rename, and the lock dies with the process, so an unlocked
    /// temporary is one a killed writer left (the crash-safety harness found them piling up).
    /// Liveness is the lock, not the PID: a writer in another PID namespace (a container) has a
    /// PID that means nothing here. Names are those writers make: `path.tmp-` and hexadecimal
    /// (`PID-number` from earlier versions).
    private static func removeStaleTemporaries(of path: String) {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let prefix = (slash.map { String(path[path.index(after: $0)...]) } ?? path) + ".tmp-"
        guard let directory = opendir(folder.isEmpty ? "/" : folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let suffix = name.dropFirst(prefix.count)
            guard name.hasPrefix(prefix), !suffix.isEmpty, suffix.allSatisfy("0123456789abcdef-".contains) else { continue }
            let candidate = (folder.isEmpty ? "" : folder) + "/" + name
            let fd = open(candidate, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            guard fd >= 0 else { continue }  // renamed away by its writer meanwhile
            // Unlinked under the lock, and only if the name still leads to the locked file: its
            // writer may have renamed it (and unlocked it) between our open and our lock.
            if flock(fd, LOCK_EX | LOCK_NB) == 0, names(candidate, fd) { unlink(candidate) }
            close(fd)
        }
    }

    /// Whether `path` (not followed if a link) is the file open as `fd`: same device and inode.
    private static func names(_ path: String, _ fd: Int32) -> Bool {
        var opened = stat(), named = stat()
        guard fstat(fd, &opened) == 0, lstat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
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
