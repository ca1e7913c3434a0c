#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of mutexes guarding many small things (one neighbor list each): key `i` maps to
/// stripe `i % count`. The mutexes lie in one contiguous buffer allocated once (their addresses
/// never move), so taking one costs an index and an uncontended lock (the parallel build takes one
/// per neighbor-list read and link update).
/// Rule: whatever key `i` guards is touched only inside `withLock(i)` while others may touch it.
///
/// pthread mutexes rather than `Synchronization.Mutex`, the lock idiom everywhere else: on Linux
/// `Mutex` parks on a futex through atomics in the uninstrumented standard library, so the thread
/// sanitizer cannot see its happens-before edges and reports every neighbor-list update of the
/// parallel build as a data race (CI runs that build under TSan). pthread mutexes are intercepted.
final class LockStripes: @unchecked Sendable {
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    private let count: Int

    init(count: Int) {
        self.count = count
        mutexes = .allocate(capacity: count)
        for i in 0..<count { pthread_mutex_init(mutexes + i, nil) }
    }

    deinit {
        for i in 0..<count { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    /// Runs `body` holding the stripe of `key`.
    @inline(__always)
    func withLock<Result>(_ key: Int, _ body: () throws -> Result) rethrows -> Result {
        let mutex = mutexes + key % count
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
