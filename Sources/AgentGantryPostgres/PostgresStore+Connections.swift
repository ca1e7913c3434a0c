import Foundation
import Logging
import PostgresNIO
import Synchronization
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// When a call that lost its connection may run again.
    enum Retry: Sendable {
        /// Again, from the start: reads, and writes whose second run changes nothing more.
        case always
        /// Only if nothing was sent: the first attempt's outcome is unknown after a lost
        /// connection, and running it twice would write twice (import transactions).
        case untilSent
    }

    /// Runs `body` on a pooled connection; errors become `GantryError` naming `doing`. While the
    /// server is unreachable (down, restarting), the call waits — trying again with back-off,
    /// 25 ms doubling to 1 s — and when `unavailableTimeout` has passed without a connection it
    /// asks the server directly (`ServerProbe`): it throws `storeUnavailable` if the server
    /// cannot be reached, and waits another `unavailableTimeout` if it answers (this process, not
    /// the server, was slow). `retry` says whether a connection lost after `body` began may run
    /// it again. `body` gets the attempt's number (0 first): a write that cannot run twice looks
    /// for its receipt from attempt 1 on (`receipt(_:on:)`).
    func withConnection<T: Sendable>(_ doing: String, retry: Retry = .always,
                                     _ body: @escaping @Sendable (PostgresConnection, _ attempt: Int) async throws -> T) async throws(GantryError) -> T {
        try await Self.withConnection(client, probe: probe, location: location, unavailableTimeout: unavailableTimeout, doing: doing,
                                      retry: retry, body)
    }

    /// `withConnection(_:retry:_:)` of a store's `client` (and before the store exists, as it opens).
    static func withConnection<T: Sendable>(_ client: PostgresClient, probe: ServerProbe, location: String, unavailableTimeout: Duration,
                                            doing: String, retry: Retry = .always,
                                            _ body: @escaping @Sendable (PostgresConnection, _ attempt: Int) async throws -> T) async throws(GantryError) -> T {
        let began = ContinuousClock.now
        var deadline = began + unavailableTimeout
        var delay = Duration.milliseconds(25), attempt = 0
        while true {
            let sent = LeaseFlag()
            do {
                let attemptNumber = attempt
                return try await leasing(client, deadline: deadline, leased: sent) { connection in
                    try await body(connection, attemptNumber)
                }
            } catch {
                let failure = storeError(error, location: location, doing: doing)
                guard case .storeUnavailable(let reason) = failure else { throw failure }
                guard retry == .always || !sent.isSet else {
                    throw .storeUnavailable(reason + "; the outcome of the write is unknown")
                }
                if ContinuousClock.now + delay >= deadline {
                    switch await probe.ask() {
                    case .unreachable(let why):
                        let waited = (ContinuousClock.now - began).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
                        throw .storeUnavailable(reason + " (waited \(waited); the server: \(why))")
                    case .refused(let why):
                        throw .store("cannot \(doing) \(location): the server refused the connection: \(why)")
                    case .reachable:
                        deadline = ContinuousClock.now + unavailableTimeout
                    }
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                attempt += 1
            }
        }
    }

    /// Leases a connection for `body`, giving up at `deadline` unless one was leased by then
    /// (`leased` is set as `body` begins: a query that runs long is never cut short).
    private static func leasing<T: Sendable>(_ client: PostgresClient, deadline: ContinuousClock.Instant, leased: LeaseFlag,
                                             _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                .done(try await client.withConnection { connection in
                    leased.set()
                    return try await untilClosed(connection) { try await body(connection) }
                })
            }
            group.addTask {
                try await Task.sleep(until: deadline)
                return .deadline
            }
            defer { group.cancelAll() }
            while let outcome = try await group.next() {
                switch outcome {
                case .done(let value): return value
                case .deadline where !leased.isSet: throw NoConnection()
                case .deadline: continue
                }
            }
            throw NoConnection()
        }
    }

    /// No connection could be leased before the call's deadline.
    struct NoConnection: Error {}

    /// The connection closed while a call was using it.
    struct ConnectionClosed: Error {}

    /// `body`'s result, or `ConnectionClosed` as soon as `connection` closes. A query written to
    /// a channel that is closing under it is never answered nor failed by postgres-nio (the write
    /// reaches no handler, and its promise is dropped), so without this a server restart could
    /// leave a call waiting forever; the abandoned `body` task then waits for nothing and holds
    /// only its own memory.
    static func untilClosed<T: Sendable>(_ connection: PostgresConnection,
                                         _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let outcome = FirstOutcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.wait(continuation)
                outcome.start(Task {
                    do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
                })
                connection.closeFuture.whenComplete { _ in outcome.settle(.failure(ConnectionClosed())) }
            }
        } onCancel: {
            outcome.cancel()
        }
    }

    /// The first of a body's result and its connection's closing, handed to one waiter once.
    final class FirstOutcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var result: Result<T, any Error>?
            var task: Task<Void, Never>?
            var cancelled = false
        }
        private let state = Mutex(State())

        func wait(_ continuation: CheckedContinuation<T, any Error>) {
            state.withLock { $0.continuation = continuation }
        }

        func start(_ task: Task<Void, Never>) {
            let cancel = state.withLock { state in
                state.task = task
                return state.cancelled
            }
            if cancel { task.cancel() }
        }

        func settle(_ result: Result<T, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
                guard state.result == nil else { return nil }
                state.result = result
                defer { state.continuation = nil }
                return state.continuation
            }
            continuation?.resume(with: result)
        }

        func cancel() {
            let task = state.withLock { state in
                state.cancelled = true
                return state.task
            }
            task?.cancel()
        }
    }

    /// Whether an attempt leased its connection (and so may have sent its statements).
    final class LeaseFlag: Sendable {
        private let leased = Atomic(false)
        var isSet: Bool { leased.load(ordering: .acquiring) }
        func set() { leased.store(true, ordering: .releasing) }
    }

    /// What came first: the attempt's result, or its deadline.
    enum LeaseOutcome<T: Sendable>: Sendable {
        case done(T)
        case deadline
    }

    /// Runs `body` in one transaction on a pooled connection: committed when it returns, rolled
    /// back when it throws. `readOnly` transactions read one snapshot (repeatable read).
    func transaction<T: Sendable>(_ doing: String, readOnly: Bool = false, retry: Retry = .always,
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(GantryError) -> T {
        if !readOnly { try checkWritable() }
        let logger = logger
        return try await withConnection(doing, retry: retry) { connection, _ in
            try await Self.inTransaction(connection, readOnly: readOnly, logger: logger, body)
        }
    }

    /// Runs `body` in a transaction on `connection`: committed when it returns, rolled back when
    /// it throws.
    static func inTransaction<T: Sendable>(_ connection: PostgresConnection, readOnly: Bool = false, logger: Logger,
                                           _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connection.query(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Runs a write that must not run twice — `body`, in one transaction, returning a number —
    /// so that a lost connection never leaves its outcome unknown: the transaction also stores
    /// the result under a new key in `write_receipt`, and an attempt after a lost connection
    /// returns the stored result if the first attempt committed, and runs `body` if it did not.
    func receiptedTransaction(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Int64) async throws(GantryError) -> Int64 {
        try checkWritable()
        let key = UUID(), logger = logger
        return try await withConnection(doing) { connection, attempt in
            if attempt > 0, let result = try await PostgresSchema.receipt(key, on: connection, logger: logger) { return result }
            return try await Self.inTransaction(connection, logger: logger) { connection in
                let result = try await body(connection)
                try await connection.query("INSERT INTO write_receipt (key, result, at) VALUES (\(key), \(result), \(Date().timeIntervalSince1970))",
                                           logger: logger)
                return result
            }
        }
    }

    /// A `GantryError` for `error`, met while doing `doing` on the store at `location`.
    static func storeError(_ error: any Error, location: String, doing: String) -> GantryError {
        if let error = error as? GantryError { return error }
        if error is NoConnection { return .storeUnavailable("cannot \(doing) \(location): no connection to the server") }
        if error is ConnectionClosed { return .storeUnavailable("cannot \(doing) \(location): the connection closed") }
        // The pool's own errors (its circuit breaker after failed connection attempts, a closed
        // pool): its module is underscored (not API), so they are recognised by their type's name.
        if String(reflecting: type(of: error)).contains("ConnectionPoolError") {
            return .storeUnavailable("cannot \(doing) \(location): \(error)")
        }
        if let error = error as? PSQLError {
            let server = error.serverInfo?[.message].map { ": \($0)" } ?? ""
            // SQLSTATE classes 08 (connection exception) and 57P (the server shutting down or starting).
            let state = error.serverInfo?[.sqlState] ?? ""
            let unreachable = [PSQLError.Code.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed]
                .contains(error.code) || state.hasPrefix("08") || state.hasPrefix("57P")
            if unreachable {
                return .storeUnavailable("cannot \(doing) \(location): the server is unreachable (\(error.code))\(server)")
            }
            return .store("cannot \(doing) \(location)\(server.isEmpty ? ": \(error.code)" : server)")
        }
        return .store("cannot \(doing) \(location): \(error)")
    }
}
