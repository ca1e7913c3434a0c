import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock, across processes, on one store for one purpose:
/// - `.open`: the schema check, migrations, the model check, re-embedding and the retention purge
///   of an open run in one process at a time, so that many processes opening a new store (or an
///   old one that needs migrating) at once neither race to create tables nor interleave one's
///   model check with another's re-embedding;
/// - `.import`: one `importEvents` at a time, so that an unfinished import found by the holder is
///   known to be abandoned (its process died) and its rows can be removed;
/// - `.lease(name)`: a lease (`AgentGantry.takeLease(_:)`), taken without waiting and held by
///   one process at a time while it does what the lease names.
///
/// `flock` on `<store>.open-lock` or `<store>.import-lock` beside the store (created once, never
/// deleted: deleting a lock file lets two processes lock two different files). The kernel
/// releases it when the holder closes it or dies, so a killed process never leaves the store
/// locked. Where no lock file can be created or opened (a read-only folder: such a store never
/// migrates or writes), no lock is taken. One machine only; stores on network file systems are
/// not supported anyway.
final class StoreFileLock: StoreOpeningLock {
    /// What the lock serializes; its file is `<store>.<rawValue>-lock`.
    struct Purpose: Sendable {
        let rawValue: String

        static let open = Purpose(rawValue: "open")
        static let `import` = Purpose(rawValue: "import")

        /// The lease `name` (a checked lease name: `AgentGantry.takeLease(_:)`).
        static func lease(_ name: String) -> Purpose { Purpose(rawValue: "lease-" + name) }
    }

    /// The lock file's path.
    let path: String
    private var descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    private enum Attempt {
        case locked(StoreFileLock)
        case heldByAnother
        case noLockFile
    }

    /// Locks `<storePath>.<purpose>-lock` (`storePath` absolute), waiting while another process
    /// holds it when `wait` is true.
    private static func attempt(_ storePath: String, _ purpose: Purpose, wait: Bool) throws(GantryError) -> Attempt {
        let path = storePath + ".\(purpose.rawValue)-lock"
        try? FileManager.default.createDirectory(atPath: (storePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { fd = open(path, O_RDONLY | O_CLOEXEC) }  // another user's lock file: shared locks need no write access
        guard fd >= 0 else { return .noLockFile }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            let reason = errno
            guard reason == EINTR else {
                close(fd)
                if reason == EWOULDBLOCK { return .heldByAnother }
                throw .store("cannot lock \(path): \(String(cString: strerror(reason)))")
            }
        }
        return .locked(StoreFileLock(path: path, descriptor: fd))
    }

    /// The lock of the store at `storePath` (relative to the current directory unless absolute)
    /// for `purpose`, waiting while another process holds it unless `wait` is false; nil for an
    /// in-memory store (nil path), where no lock file can be opened, or when another process holds
    /// it and `wait` is false. Throws `GantryError.store` when locking fails.
    static func taken(forStore storePath: String?, for purpose: Purpose, wait: Bool = true) throws(GantryError) -> StoreFileLock? {
        guard let storePath else { return nil }
        if case .locked(let lock) = try attempt(SQLiteStore.absolute(storePath), purpose, wait: wait) { return lock }
        return nil
    }

    /// The lock as `taken(forStore:for:)` takes it, without blocking a thread while another
    /// process holds it: tries again every `poll` until it is free. Throws when the task is cancelled.
    static func acquired(forStore storePath: String?, for purpose: Purpose,
                         poll: Duration = .milliseconds(20)) async throws(GantryError) -> StoreFileLock? {
        guard let storePath else { return nil }
        while true {
            switch try attempt(SQLiteStore.absolute(storePath), purpose, wait: false) {
            case .locked(let lock): return lock
            case .noLockFile: return nil
            case .heldByAnother:
                do { try await Task.sleep(for: poll) } catch { throw .store("waiting for \(storePath).\(purpose.rawValue)-lock was cancelled") }
            }
        }
    }

    /// The lease `name` of the store at `storePath`, without waiting: nil while another process
    /// holds it; granted (with nothing to hold) where no lock file can be made.
    static func attemptLease(forStore storePath: String, _ name: String) throws(GantryError) -> (any StoreOpeningLock)? {
        switch try attempt(SQLiteStore.absolute(storePath), .lease(name), wait: false) {
        case .locked(let lock): lock
        case .noLockFile: UnsharedLease()
        case .heldByAnother: nil
        }
    }

    /// Lets the next process take the lock (also done when the lock is deallocated).
    func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
