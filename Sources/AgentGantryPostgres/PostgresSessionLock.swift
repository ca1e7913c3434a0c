import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

/// A session advisory lock of the database, held by a pooled connection of its own until
/// released: processes on any host that take the same `name` take turns. A process that dies
/// releases it with its session.
final class PostgresSessionLock: StoreOpeningLock, Sendable {
    /// What the locks serialise.
    enum Name: String, Sendable {
        /// Opens (model check, re-embedding, retention purge): `takeOpeningLock()`.
        case open = "agent_gantry.open"
        /// Imports (`importEvents`), and the removal of abandoned ones.
        case `import` = "agent_gantry.import"
    }

    private let unlock: @Sendable () -> Void

    private init(unlock: @escaping @Sendable () -> Void) {
        self.unlock = unlock
    }

    /// The lock, once taken (waiting while another session holds it); with `wait` false, nil
    /// when another session holds it.
    static func taken(_ name: Name, client: PostgresClient, location: String, logger: Logger,
                      wait: Bool = true) async throws(GantryError) -> PostgresSessionLock? {
        let (locked, locking) = AsyncStream.makeStream(of: Result<Bool, any Error>.self)
        let (released, releasing) = AsyncStream.makeStream(of: Void.self)
        let lock: PostgresQuery = wait ? "SELECT true FROM pg_advisory_lock(hashtext(\(name.rawValue)))"
            : "SELECT pg_try_advisory_lock(hashtext(\(name.rawValue)))"
        // The connection stays leased, holding the lock, until `release()`.
        Task {
            do {
                try await client.withConnection { connection in
                    var taken = false
                    for try await result in try await connection.query(lock, logger: logger).decode(Bool.self) { taken = result }
                    locking.yield(.success(taken))
                    guard taken else { return }
                    for await _ in released { break }
                    _ = try? await connection.query("SELECT pg_advisory_unlock(hashtext(\(name.rawValue)))", logger: logger)
                }
            } catch {
                locking.yield(.failure(error))
            }
            locking.finish()
        }
        for await result in locked {
            let taken: Bool
            do { taken = try result.get() } catch {
                throw PostgresStore.storeError(error, location: location, doing: "take the \(name) lock of")
            }
            guard taken else { return nil }
            return PostgresSessionLock { releasing.yield(); releasing.finish() }
        }
        throw .store("cannot take the \(name) lock of \(location)")
    }

    /// Releases the lock (its connection goes back to the pool once unlocked).
    func release() {
        unlock()
    }
}
