import Foundation

/// Appends events to the store with **group commit**: calls made while a commit is under way
/// wait together and go into the next transaction (at most `batchLimit` events each), so that
/// many events share one durable commit. Events wait for no timer: a lone event is committed at
/// once, and batches grow only as far as the store is slower than the callers. Each call returns once
/// its event is durable, with its id (its place in the log); when a commit fails, every call in
/// it gets the error and none of its events is stored. Retrieval records ride along with the
/// next commit and nobody waits for them: a commit that fails is tried again without them, so a
/// record never costs an event its write (the records are counted as lost).
///
/// Its state is guarded by an `NSLock`, not a `Synchronization.Mutex`: the mutex parks on a
/// futex the thread sanitizer cannot see, which reported concurrent appends as races.
final class EventWriter: @unchecked Sendable {
    private typealias Waiter = CheckedContinuation<Result<Int64, GantryError>, Never>

    /// A call waiting for its write: an event, a report, or both (a linked execution: one
    /// transaction); it gets the event's id, else the report's.
    private struct Pending {
        var event: GantryEvent?
        var report: RetrievalReport?
        var waiter: Waiter
    }

    private struct Queue {
        var pending: [Pending] = []
        /// Retrieval records, written with the next commit; nobody waits for them.
        var records: [RetrievalRecord] = []
        /// Whether a commit loop runs (it takes what is queued until the queue is empty).
        var committing = false
    }

    /// Most events (and most records) in one transaction.
    static let batchLimit = 1024
    /// Retrieval records that start a commit of their own, and the longest a record waits for one.
    static let recordBatch = 256, recordDelay = Duration.milliseconds(50)
    /// Most retrieval records waiting: beyond it (a store that has been failing for a while)
    /// the oldest are dropped, so that memory stays bounded.
    static let queuedRecordLimit = 64 * 1024

    private let store: any GantryStore
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var queue = Queue()
    /// Guarded by `lock`.
    private var committed = (commits: 0, events: 0)
    /// Guarded by `lock`: the users of the records the commit under way holds.
    private var committingUsers = Set<String>()
    /// Guarded by `lock`: whether a task waits `recordDelay` to commit the queued records.
    private var timerSet = false
    /// Guarded by `lock`: retrieval records given up (their commit failed, or the queue was full).
    private var lost = 0
    /// Awaited before each commit, with the number of events going into it (tests hold commits with it).
    private let beforeCommit: (@Sendable (Int) async -> Void)?
    /// Makes a queued record what the store keeps (redaction, rounding), on the commit's thread.
    private let prepare: @Sendable (RetrievalRecord) -> RetrievalRecord
    /// Told the ids of the records given up, so that no report links to them.
    private let gaveUp: @Sendable ([RetrievalID]) -> Void

    init(store: any GantryStore, prepare: @escaping @Sendable (RetrievalRecord) -> RetrievalRecord = { $0 },
         gaveUp: @escaping @Sendable ([RetrievalID]) -> Void = { _ in }, beforeCommit: (@Sendable (Int) async -> Void)? = nil) {
        self.store = store
        self.prepare = prepare
        self.gaveUp = gaveUp
        self.beforeCommit = beforeCommit
    }

    /// Transactions committed so far, and the events they held (`events / commits` is the
    /// mean group size).
    var commits: (commits: Int, events: Int) { lock.withLock { committed } }

    /// Events waiting for a commit.
    var queued: Int { lock.withLock { queue.pending.count } }

    /// Retrieval records given up so far: their commit failed, or too many waited.
    var lostRecords: Int { lock.withLock { lost } }

    /// Appends `event` (its id is assigned by the store); returns the id once the event is durable.
    func append(_ event: GantryEvent) async throws(GantryError) -> Int64 {
        try await append(event: event, report: nil)
    }

    /// Appends `event` and `report` in one transaction; returns the event's id, else the
    /// report's, once durable. With neither, a barrier: returns 0 once everything queued before
    /// it is committed (or given up).
    func append(event: GantryEvent?, report: RetrievalReport?) async throws(GantryError) -> Int64 {
        let result: Result<Int64, GantryError> = await withCheckedContinuation { (waiter: Waiter) in
            let startsLoop = lock.withLock {
                queue.pending.append(Pending(event: event, report: report, waiter: waiter))
                defer { queue.committing = true }
                return !queue.committing
            }
            if startsLoop { Task { await self.commitQueued() } }
        }
        return try result.get()
    }

    /// Queues `record` for a commit and returns at once. Records go with the next commit of
    /// events, or once `recordBatch` of them wait, or `recordDelay` after the first of them —
    /// not one commit (and one task started, one thread woken) per retrieval.
    func enqueue(_ record: RetrievalRecord) {
        enum Start { case none, commit, timer }
        var dropped = [RetrievalID]()
        let start = lock.withLock { () -> Start in
            queue.records.append(record)
            if queue.records.count > Self.queuedRecordLimit {
                let overflow = queue.records.count - Self.queuedRecordLimit
                dropped = queue.records.prefix(overflow).map(\.id)
                queue.records.removeFirst(overflow)
                lost += overflow
            }
            if queue.committing { return .none }
            if queue.records.count >= Self.recordBatch {
                queue.committing = true
                return .commit
            }
            if timerSet { return .none }
            timerSet = true
            return .timer
        }
        if !dropped.isEmpty { gaveUp(dropped) }
        switch start {
        case .none:
            break
        case .commit:
            Task { await self.commitQueued() }
        case .timer:
            Task {
                try? await Task.sleep(for: Self.recordDelay)
                let startsLoop = self.lock.withLock {
                    self.timerSet = false
                    defer { self.queue.committing = true }
                    return !self.queue.committing
                }
                if startsLoop { await self.commitQueued() }
            }
        }
    }

    /// Drops the queued records of `user`; returns whether a commit under way holds some of the
    /// user's (then `barrier()` waits for it).
    func dropQueuedRecords(of user: String) -> Bool {
        lock.withLock {
            queue.records.removeAll { $0.user == user }
            return committingUsers.contains(user)
        }
    }

    /// Returns once everything queued before the call is committed or given up.
    func barrier() async {
        _ = try? await append(event: nil, report: nil)
    }

    /// Commits what is queued, a batch at a time, until the queue is empty.
    private func commitQueued() async {
        while true {
            let batch: (pending: [Pending], records: [RetrievalRecord])? = lock.withLock {
                guard !queue.pending.isEmpty || !queue.records.isEmpty else {
                    queue.committing = false
                    committingUsers = []
                    return nil
                }
                let count = min(queue.pending.count, Self.batchLimit), records = min(queue.records.count, Self.batchLimit)
                defer {
                    queue.pending.removeFirst(count)
                    queue.records.removeFirst(records)
                }
                committingUsers = Set(queue.records.prefix(records).compactMap(\.user))
                return (Array(queue.pending.prefix(count)), Array(queue.records.prefix(records)))
            }
            guard let batch else { return }
            let events = batch.pending.compactMap(\.event), reports = batch.pending.compactMap(\.report)
            if !events.isEmpty { await beforeCommit?(events.count) }
            var result = await commit(events, batch.records.map(prepare), reports)
            if case .failure = result, !batch.records.isEmpty {
                // Records never cost a caller its write: the events go again without them.
                lock.withLock { lost += batch.records.count }
                gaveUp(batch.records.map(\.id))
                result = await commit(events, [], reports)
            }
            switch result {
            case .success(let ids):
                if !events.isEmpty { lock.withLock { committed = (committed.commits + 1, committed.events + events.count) } }
                var eventIDs = ids.prefix(events.count).makeIterator(), reportIDs = ids.dropFirst(events.count).makeIterator()
                for pending in batch.pending {
                    let eventID = pending.event.map { _ in eventIDs.next()! }, reportID = pending.report.map { _ in reportIDs.next()! }
                    pending.waiter.resume(returning: .success(eventID ?? reportID ?? 0))
                }
            case .failure(let error):
                for pending in batch.pending { pending.waiter.resume(returning: .failure(error)) }
            }
        }
    }

    private func commit(_ events: [GantryEvent], _ records: [RetrievalRecord], _ reports: [RetrievalReport]) async -> Result<[Int64], GantryError> {
        guard !events.isEmpty || !records.isEmpty || !reports.isEmpty else { return .success([]) }
        do { return .success(try await store.appendEvents(events, records: records, reports: reports)) } catch { return .failure(error) }
    }
}
