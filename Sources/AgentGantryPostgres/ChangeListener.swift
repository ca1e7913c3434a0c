import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Listens on the store's notification channel over a pooled connection of its own, counts what
/// it hears, and wakes its subscribers. When the connection drops it connects again (waiting
/// 50 ms, doubling to 2 s while the server stays away) and counts the reconnection as a change:
/// notifications sent meanwhile are lost, so followers look at the store once more.
final class ChangeListener: Sendable {
    private struct State {
        var count = 0
        var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let client: PostgresClient
    private let channel: String
    private let logger: Logger
    private let state = Mutex(State())

    init(client: PostgresClient, channel: String, logger: Logger) {
        (self.client, self.channel, self.logger) = (client, channel, logger)
    }

    /// Notifications heard plus connections made (tests wait for the first before subscribing).
    var count: Int { state.withLock { $0.count } }

    /// Starts listening (once).
    func start() {
        let task = Task.detached { [weak self] in
            var delay = Duration.milliseconds(50)
            while !Task.isCancelled {
                guard let self else { return }
                do {
                    try await self.listen { delay = .milliseconds(50) }
                } catch {
                    self.logger.debug("change listener: \(error)")
                }
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
        let started = state.withLock { state in
            guard state.task == nil, !state.stopped else { return false }
            state.task = task
            return true
        }
        if !started { task.cancel() }
    }

    /// One connection's life: LISTEN, count a change (what happened before is unknown), then
    /// count every notification until the connection fails.
    private func listen(connected: () -> Void) async throws {
        let channel = channel
        try await client.withConnection { connection in
            try await connection.listen(on: channel) { notifications in
                connected()
                self.heard()
                for try await _ in notifications { self.heard() }
            }
        }
    }

    private func heard() {
        let subscribers = state.withLock { state in
            state.count += 1
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.yield() }
    }

    /// A stream that yields once for each change heard from now on (the newest one kept while
    /// the subscriber is busy); it finishes when the listener stops.
    func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        let added = state.withLock { state in
            guard !state.stopped else { return false }
            state.subscribers[id] = continuation
            return true
        }
        if added {
            continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        } else {
            continuation.finish()
        }
        return stream
    }

    /// Stops listening and finishes every subscriber's stream.
    func stop() {
        let (task, subscribers) = state.withLock { state in
            state.stopped = true
            defer { state.subscribers = [:] }
            return (state.task, Array(state.subscribers.values))
        }
        task?.cancel()
        for subscriber in subscribers { subscriber.finish() }
    }
}
