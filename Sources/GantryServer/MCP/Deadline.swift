import Foundation

/// Waits for `body` at most `limit`: its result, or `timedOut` thrown once `limit` has passed —
/// without waiting for `body` to notice (a task group would wait for a child that ignores
/// cancellation, as a request to a hung server does); `body` is cancelled and left to end. When
/// `abandon` ends first (the server's process exited), `abandoned` is thrown.
func withDeadline<T: Sendable>(_ limit: Duration, orThrow timedOut: @autoclosure @escaping @Sendable () -> any Error,
                               abandon: Task<Int32, Never>? = nil, orThrow abandoned: @autoclosure @escaping @Sendable () -> any Error = CancellationError(),
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = NSLock.Protected<CheckedContinuation<T, any Error>?>(nil)
    let work = NSLock.Protected<Task<Void, Never>?>(nil)
    return try await withCheckedThrowingContinuation { continuation in
        outcome.withLock { $0 = continuation }
        func finish(_ result: Result<T, any Error>) {
            outcome.withLock { waiting in
                waiting?.resume(with: result)
                waiting = nil
            }
        }
        work.withLock { $0 = Task { do { finish(.success(try await body())) } catch { finish(.failure(error)) } } }
        Task {
            try? await Task.sleep(for: limit)
            finish(.failure(timedOut()))
            work.withLock { $0?.cancel() }
        }
        if let abandon {
            Task {
                _ = await abandon.value
                finish(.failure(abandoned()))
                work.withLock { $0?.cancel() }
            }
        }
    }
}
