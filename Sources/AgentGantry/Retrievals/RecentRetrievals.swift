import Foundation

/// The last retrieval records of this process, by id, so that a report on a retrieval made here
/// finds its record at once, also before the writer has committed it (oldest out first). Kept in
/// memory only; `forget(user:)` drops the user's.
final class RecentRetrievals: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    /// Guarded by `lock`: the records, and their ids oldest first (a ring of `capacity`).
    private var records = [RetrievalID: RetrievalRecord](), order = [RetrievalID](), next = 0

    /// Keeps the last `capacity` records (0: none).
    init(capacity: Int) {
        self.capacity = capacity
        records.reserveCapacity(capacity)
    }

    func insert(_ record: RetrievalRecord) {
        guard capacity > 0 else { return }
        lock.withLock {
            if order.count < capacity {
                order.append(record.id)
            } else {
                records[order[next]] = nil
                order[next] = record.id
                next = (next + 1) % capacity
            }
            records[record.id] = record
        }
    }

    func record(_ id: RetrievalID) -> RetrievalRecord? {
        lock.withLock { records[id] }
    }

    /// Drops the records `ids` (the writer gave them up: the store will never hold them).
    func remove(_ ids: [RetrievalID]) {
        lock.withLock { for id in ids { records[id] = nil } }
    }

    /// Drops every record (another process deleted events: perhaps a user's).
    func removeAll() {
        lock.withLock { records.removeAll(keepingCapacity: true) }
    }

    /// Drops the records of `user` (their ids stay in the ring until overwritten).
    func removeAll(of user: String) {
        lock.withLock { records = records.filter { $0.value.user != user } }
    }
}
