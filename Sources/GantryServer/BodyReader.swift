import Hummingbird
import NIOCore
import Synchronization

/// Reads request bodies, each within its deadline, with one watcher for all of them: a client
/// sending a byte now and then must not hold a connection for ever, and a timer per request (a
/// sleeping task raced against the read) cost more than routing a cached query. The watcher
/// runs while reads are under way, looks every `tick`, and cancels the reads past their
/// deadline; so a deadline holds to within a tick.
final class BodyReader: Sendable {
    private struct Reading {
        let deadline: ContinuousClock.Instant
        let task: Task<ByteBuffer, any Error>
    }

    /// The reads under way by number; those the watcher cancelled; whether it runs. Taken only
    /// to look or change, never across a suspension.
    private struct State {
        var nextNumber = 0
        var readings: [Int: Reading] = [:]
        var expired: Set<Int> = []
        var watching = false
    }

    private let state = Mutex(State())
    /// How often the watcher looks.
    static let tick: Duration = .milliseconds(250)

    /// `request`'s body, at most `limit` bytes (beyond: the error Hummingbird throws), or nil when
    /// it has not arrived within `deadline`.
    func body(of request: Request, upTo limit: Int, within deadline: Duration) async throws -> ByteBuffer? {
        let task = Task { try await request.body.collect(upTo: limit) }
        let (number, startWatcher) = state.withLock { state in
            defer { (state.nextNumber, state.watching) = (state.nextNumber + 1, true) }
            state.readings[state.nextNumber] = Reading(deadline: .now + deadline, task: task)
            return (state.nextNumber, !state.watching)
        }
        if startWatcher { Task.detached { await self.watch() } }
        let result = await withTaskCancellationHandler { await task.result } onCancel: { task.cancel() }
        let expired = state.withLock { state in
            state.readings[number] = nil
            return state.expired.remove(number) != nil
        }
        return expired ? nil : try result.get()
    }

    /// Cancels the reads past their deadline every `tick` until none is under way.
    private func watch() async {
        while true {
            try? await Task.sleep(for: Self.tick)
            let (late, done) = state.withLock { state in
                let now = ContinuousClock.now
                let late = state.readings.filter { $0.value.deadline <= now && !state.expired.contains($0.key) }
                state.expired.formUnion(late.keys)
                if state.readings.isEmpty { state.watching = false }
                return (late.values.map(\.task), state.readings.isEmpty)
            }
            for task in late { task.cancel() }
            if done { return }
        }
    }
}
