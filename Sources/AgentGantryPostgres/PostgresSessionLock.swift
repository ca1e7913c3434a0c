import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

/// A session advisory lock of the database, held by a pooled connection of its own until
/// released: processes on any host that take the same `name` take turns. A process that dies
/// releases it with its session.
final class PostgresSessionLock: StoreOpeningLock, Sendable {
    /// What the locks serialise.
    struct Name: Sendable, CustomStringConvertible {
        let rawValue: String
        /// Whether the lock is the store's own (its schema's) rather than the database's.
        let perSchema: Bool

        /// Opens (model check, re-embedding, retention purge): `takeOpeningLock()`.
        static let open = Name(rawValue: "agent_gantry.open", perSchema: false)
        /// Imports (`importEvents`), and the removal of abandoned ones.
        static let `import` = Name(rawValue: "agent_gantry.import", perSchema: false)

        /// The lease `name` of the store (`takeLease(_:)`): per schema, so that tenants' stores in
        /// one database hold theirs apart.
        static func lease(_ name: String) -> Name { Name(rawValue: "agent_gantry.lease." + name, perSchema: true) }

        var description: String { rawValue }
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
        let key = name.rawValue
        let lock: PostgresQuery = switch (wait, name.perSchema) {
        case (true, false): "SELECT true FROM pg_advisory_lock(hashtext(\(key)))"
        case (false, false): "SELECT pg_try_advisory_lock(hashtext(\(key)))"
        case (true, true): "SELECT true FROM pg_advisory_lock(hashtext(current_schema() || ':' || \(key)))"
        case (false, true): "SELECT pg_try_advisory_lock(hashtext(current_schema() || ':' || \(key)))"
        }
        let unlock: PostgresQuery = name.perSchema ? "SELECT pg_advisory_unlock(hashtext(current_schema() || ':' || \(key)))"
            : "SELECT pg_advisory_unlock(hashtext(\(key)))"
        // The connection stays leased, holding the lock, until `release()`.
        Task {
            do {
                try await client.withConnection { connection in
                    var taken = false
                    for try await result in try await connection.query(lock, logger: logger).decode(Bool.self) { taken = result }
                    locking.yield(.success(taken))
                    guard taken else { return }
                    for await _ in released { break }
                    _ = try? await connection.query(unlock, logger: logger)
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
