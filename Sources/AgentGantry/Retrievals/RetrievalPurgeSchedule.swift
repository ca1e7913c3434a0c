import Foundation

/// When retrieval records were last purged by age in this process: once an hour (by the
/// gantry's clock) while retrievals are recorded.
final class RetrievalPurgeSchedule: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var last: Date

    /// A schedule whose last purge was at `start` (the open's).
    init(start: Date) {
        last = start
    }

    /// Whether a purge is due at `now` (an hour since the last, or the clock went back); if so, it counts as done.
    func isDue(at now: Date) -> Bool {
        lock.withLock {
            if now.timeIntervalSince(last) < 3_600, now >= last { return false }
            last = now
            return true
        }
    }
}
