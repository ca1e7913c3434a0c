import Synchronization

/// A fixed set of mutexes guarding many small things (one neighbor list each): key `i` maps to
/// stripe `i % count`. The mutexes lie in one contiguous buffer, so taking one costs an index
/// and an atomic (the parallel build takes one per neighbor-list read and link update).
/// Rule: whatever key `i` guards is touched only inside `withLock(i)` while others may touch it.
final class LockStripes: @unchecked Sendable {
    private let stripes: UnsafeMutablePointer<Mutex<Void>>
    private let count: Int

    init(count: Int) {
        self.count = count
        stripes = .allocate(capacity: count)
        for i in 0..<count { (stripes + i).initialize(to: Mutex(())) }
    }

    deinit {
        stripes.deinitialize(count: count)
        stripes.deallocate()
    }

    /// Runs `body` holding the stripe of `key`.
    @inline(__always)
    func withLock<Result: Sendable>(_ key: Int, _ body: () -> Result) -> Result {
        stripes[key % count].withLock { _ in body() }
    }
}
