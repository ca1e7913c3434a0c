import Foundation

/// The time an `AgentGantry` reads: event times, breaker cool-downs, the feedback memory's
/// half-life, retention. Real time by default (`system`); a replay or a test injects its own, so
/// that what it shows does not depend on how fast the machine runs it.
public struct GantryClock: Sendable {
    /// The current time.
    public let now: @Sendable () -> Date

    /// A clock that reads `now` (called from any thread, possibly at once).
    public init(_ now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    /// Real time.
    public static let system = GantryClock { Date() }

    /// A clock that reads `start` first and `step` seconds later at every read after: the same
    /// times on every run, however fast or slow the machine.
    public static func stepping(from start: Date, by step: TimeInterval) -> GantryClock {
        let ticks = Ticks()
        return GantryClock { start.addingTimeInterval(Double(ticks.next()) * step) }
    }
}

/// A counter that several threads may advance (an `NSLock`: visible to the thread sanitizer).
private final class Ticks: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        defer { count += 1 }
        return count
    }
}
