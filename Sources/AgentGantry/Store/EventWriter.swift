import Foundation

/// Appends events to the store with **group commit**: calls made while a commit is under way
/// wait together and go into the next transaction (at most `batchLimit` events each), so that
/// many events share one durable commit. There is no timer: a lone event is committed at once,
/// and batches grow only as far as the store is slower than the callers. Each call returns once
/// its event is durable, with its id (its place in the log); when a commit fails, every call in
/// it gets the error and none of its events is stored.
///
/// Its state is guarded by an `NSLock`, not a `Synchronization.Mutex`: the mutex parks on a
/// futex the thread sanitizer cannot see, which reported concurrent appends as races.
final class EventWriter: @unchecked Sendable {
    private typealias Waiter = CheckedContinuation<Result<Int64, GantryError>, Never>

    private struct Queue {
        var events: [GantryEvent] = []
        var waiters: [Waiter] = []
        /// Whether a commit loop runs (it takes what is queued until the queue is empty).
        var committing = false
    }

    /// Most events in one transaction.
    static let batchLimit = 1024

    private let store: any GantryStore
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var queue = Queue()
    /// Guarded by `lock`.
    private var committed = (commits: 0, events: 0)
    /// Awaited before each commit, with the number of events going into it (tests hold commits with it).
    private let beforeCommit: (@Sendable (Int) async -> Void)?

    init(store: any GantryStore, beforeCommit: (@Sendable (Int) async -> Void)? = nil) {
        self.store = store
        self.beforeCommit = beforeCommit
    }

    /// Transactions committed so far, and the events they held (`events / commits` is the
    /// mean group size).
    var commits: (commits: Int, events: Int) { lock.withLock { committed } }

    /// Events waiting for a commit.
    var queued: Int { lock.withLock { queue.events.count } }

    /// Appends `event` (its id is assigned by the store); returns the id once the event is durable.
    func append(_ event: GantryEvent) async throws(GantryError) -> Int64 {
        let result: Result<Int64, GantryError> = await withCheckedContinuation { (waiter: Waiter) in
            let startsLoop = lock.withLock {
                queue.events.append(event)
                queue.waiters.append(waiter)
                defer { queue.committing = true }
                return !queue.committing
            }
            if startsLoop { Task { await self.commitQueued() } }
        }
        return try result.get()
    }

    /// Commits what is queued, a batch at a time, until the queue is empty.
    private func commitQueued() async {
        while true {
            let batch: (events: [GantryEvent], waiters: [Waiter])? = lock.withLock {
                guard !queue.events.isEmpty else {
                    queue.committing = false
                    return nil
                }
                let count = min(queue.events.count, Self.batchLimit)
                defer {
                    queue.events.removeFirst(count)
                    queue.waiters.removeFirst(count)
                }
                return (Array(queue.events.prefix(count)), Array(queue.waiters.prefix(count)))
            }
            guard let batch else { return }
            await beforeCommit?(batch.events.count)
            do {
                let ids = try await store.appendEvents(batch.events)
                lock.withLock { committed = (committed.commits + 1, committed.events + ids.count) }
                for (waiter, id) in zip(batch.waiters, ids) { waiter.resume(returning: .success(id)) }
            } catch {
                for waiter in batch.waiters { waiter.resume(returning: .failure(error)) }
            }
        }
    }
}
