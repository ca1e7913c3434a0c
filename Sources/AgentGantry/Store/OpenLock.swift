import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock, across processes, on opening one store: the schema check, migrations, the
/// model check, re-embedding and the retention purge of an open run in one process at a time, so
/// that many processes opening a new store (or an old one that needs migrating) at once neither
/// race to create tables nor interleave one's model check with another's re-embedding.
///
/// `flock` on `<store>.open-lock` beside the store (created once, never deleted: deleting a lock
/// file lets two processes lock two different files). The kernel releases it when the holder
/// closes it or dies, so a killed opener never leaves the store locked. Where no lock file can be
/// created or opened (a read-only folder: such a store never migrates or writes at open), no lock
/// is taken. Opens on one machine only; stores on network file systems are not supported anyway.
final class OpenLock: StoreOpeningLock {
    /// The lock file's path.
    let path: String
    private var descriptor: Int32

    /// Waits until no other process is opening the store at `storePath` (absolute), then holds
    /// the lock; nil when no lock file can be opened. Throws `GantryError.store` when locking fails.
    init?(store storePath: String) throws(GantryError) {
        path = storePath + ".open-lock"
        try? FileManager.default.createDirectory(atPath: (storePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }  // another user's lock file: shared locks need no write access
        guard fd >= 0 else { return nil }
        while flock(fd, LOCK_EX) != 0 {
            let reason = errno
            guard reason == EINTR else {
                close(fd)
                throw .store("cannot lock \(path) to open the store: \(String(cString: strerror(reason)))")
            }
        }
        descriptor = fd
    }

    /// The lock of the store at `storePath` (relative to the current directory unless absolute),
    /// as `init(store:)` takes it; nil for an in-memory store (nil path) or where none can be taken.
    static func taken(forStore storePath: String?) throws(GantryError) -> OpenLock? {
        guard let storePath else { return nil }
        return try OpenLock(store: SQLiteStore.absolute(storePath))
    }

    /// Lets the next process open the store (also done when the lock is deallocated).
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
