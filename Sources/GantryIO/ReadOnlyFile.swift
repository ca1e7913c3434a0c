#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file opened for reading; closed when the last reference goes. Reads are positioned
/// (`pread`), so readers sharing it never disturb each other's position.
final class ReadOnlyFile {
    let path: String
    /// The size when it was opened (`fstat`): what readers expect to find.
    let size: Int
    private let descriptor: Int32

    init(path: String) throws(FileFormatError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, operation: "open it", reason: lastErrorDescription()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = lastErrorDescription()
            close(fd)
            throw .io(path: path, operation: "stat it", reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io(path: path, operation: "read it", reason: "not a regular file")
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads into `buffer` from byte `offset` until the buffer is full or the file ends, in
    /// chunks of at most 64 MiB; the number of bytes read. Fewer than `buffer.count` means the
    /// file is shorter now than it was when opened.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Result<Int, FileFormatError> {
        var done = 0
        while done < buffer.count {
            let got = pread(descriptor, buffer.baseAddress! + done, min(buffer.count - done, 1 << 26), off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                return .failure(.io(path: path, operation: "read it", reason: lastErrorDescription()))
            }
            if got == 0 { break }
            done += got
        }
        return .success(done)
    }
}

/// `strerror(errno)`.
func lastErrorDescription() -> String { String(cString: strerror(errno)) }
