import Logging
import PostgresNIO

/// Asks whether a store's server answers, on a connection of its own outside the pool: asked
/// when a call has waited its `unavailableTimeout` without a connection, so that a call throws
/// `storeUnavailable` only when the server cannot be reached — not when this process was merely
/// slow to run (a host whose cores are busy) or its pool busy.
struct ServerProbe: Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger

    /// What the server said.
    enum Answer: Sendable, Equatable {
        /// It accepted a connection.
        case reachable
        /// No connection, or a server starting, stopping or out of connections; why.
        case unreachable(String)
        /// It refused this connection for good (a wrong password, no such database): waiting
        /// would not help; the server's message.
        case refused(String)
    }

    func ask() async -> Answer {
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
            return .reachable
        } catch let error as PSQLError {
            guard let state = error.serverInfo?[.sqlState] else { return .unreachable("\(error.code)") }
            let message = error.serverInfo?[.message] ?? state
            // SQLSTATE classes 08 (connection exception), 57P (starting up, shutting down) and 53
            // (insufficient resources: too many connections).
            if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") { return .unreachable(message) }
            return .refused(message)
        } catch {
            return .unreachable("\(error)")
        }
    }
}
