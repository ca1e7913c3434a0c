import Foundation
import Logging
import PostgresNIO
import Synchronization
@_spi(StoreImplementation) import AgentGantry

/// The `GantryStore` many hosts share: tools with their embeddings, the event log, the change
/// log and the adapter versions in one PostgreSQL database (version 12 or newer), through
/// postgres-nio. Open it with a URL and hand it to `AgentGantry(configuration:embedder:store:)`;
/// every process on every host that opens the same database shares one learning state.
///
/// - **Commit order.** Event ids and change numbers come from counter rows that each writing
///   transaction locks until it commits (`gantry_meta`), so ids are in commit order: a reader
///   that has seen id *n* has seen every id below it, whichever host wrote them.
/// - **Following.** Every write ends with `pg_notify`; each store keeps one connection listening,
///   which wakes the processes following it at once (`changeNotifications()`), with
///   `followInterval` as the fallback.
/// - **Connections.** `poolSize` connections for queries (4 by default) plus one listening; the
///   opening lock of `AgentGantry.init` holds one more for the length of an open.
/// - **Schema.** Created on first open (see `PostgresSchema`), in the first schema of the
///   connection's `search_path` (`options=-c search_path=…` in the URL chooses another).
///
/// The README lists the privileges the role needs.
public final class PostgresStore: GantryStore {
    /// The URL without its password.
    public let location: String
    /// Why writes are refused (a standby server, or a role without write privileges), or nil.
    public let readOnlyReason: String?
    /// True: other processes may write the database.
    public var isShared: Bool { true }
    /// How long a call waits for an unreachable server (down, restarting) before it asks the
    /// server on a connection of its own and, if that fails too, throws
    /// `GantryError.storeUnavailable` (a server that answers means this process was slow: the
    /// call waits another period); a call reads it as it begins. Retrievals never wait: they
    /// read the snapshot the facade published last. It may change at any time — a process can
    /// open with a long wait while its fleet and server start, and serve with a short one; values
    /// under a millisecond count as one.
    public var unavailableTimeout: Duration {
        get { timeout.withLock { $0 } }
        set { timeout.withLock { $0 = max(newValue, .milliseconds(1)) } }
    }
    private let timeout: Mutex<Duration>

    let client: PostgresClient
    /// Asked whether the server answers when a call has waited `unavailableTimeout`.
    let probe: ServerProbe
    let logger: Logger
    /// Appends made through this handle since it last pruned `write_receipt`.
    let appendsSincePruning = Mutex(0)
    private let runner: Task<Void, Never>
    let listener: ChangeListener
    /// Whether `event` has the column `query_terms` (`PostgresSchema.expand`): false on a store of
    /// an earlier build that this connection could not alter, whose feedback is then stored
    /// without its word hashes.
    let keepsQueryTerms: Bool
    /// Whether the store has the retrieval tables (`PostgresSchema.expandRetrievals`): false on a
    /// store of an earlier build that this connection could not extend.
    let keepsRetrievals: Bool

    /// Connects to the database of `url` (see ``PostgresStore`` for what it accepts), creates
    /// the schema if the database has none (unless `create` is false: then a database without a
    /// store is refused with `GantryError.store`, writing nothing), and refuses a schema a newer
    /// AgentGantry wrote. `poolSize` is the most connections this store uses for queries at
    /// once; `unavailableTimeout` how long a call (the open too) waits for an unreachable server.
    public init(url: String, poolSize: Int = 4, unavailableTimeout: Duration = .seconds(5), create: Bool = true,
                logger: Logger? = nil) async throws(GantryError) {
        guard (1...64).contains(poolSize) else { throw .invalidInput("poolSize must be within 1...64, not \(poolSize)") }
        guard unavailableTimeout > .zero else { throw .invalidInput("unavailableTimeout must be positive") }
        timeout = Mutex(unavailableTimeout)
        let parsed = try PostgresURL(url)
        var configuration = try parsed.clientConfiguration()
        configuration.options.maximumConnections = poolSize + 2  // the listener's, and a session lock's
        configuration.options.minimumConnections = 0
        let logger = logger ?? Logger(label: "AgentGantryPostgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let probe = ServerProbe(configuration: try parsed.connectionConfiguration(), logger: logger)
        self.client = client
        self.probe = probe
        self.logger = logger
        location = parsed.redacted
        runner = Task { await client.run() }
        // The first schema of the search path as PostgreSQL resolves it: folded to lowercase unless quoted.
        let schema = parsed.settings.last { $0.0 == "search_path" }?.1.split(separator: ",").first
            .map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty || $0.hasPrefix("$") ? nil : $0 }
            .map { $0.count >= 2 && $0.hasPrefix("\"") && $0.hasSuffix("\"") ? String($0.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
                                                                       : $0.lowercased() }
        do {
            let (prepared, reason) = try await Self.withConnection(client, probe: probe, location: parsed.redacted,
                                                                    unavailableTimeout: unavailableTimeout, doing: "open") { connection, _ in
                (try await PostgresSchema.prepare(connection, schema: schema, create: create, location: parsed.redacted, logger: logger),
                 try await PostgresSchema.readOnlyReason(connection, logger: logger))
            }
            listener = ChangeListener(client: client, channel: prepared.channel, logger: logger)
            keepsQueryTerms = prepared.queryTerms
            keepsRetrievals = prepared.retrievals
            readOnlyReason = reason
        } catch {
            runner.cancel()
            throw error
        }
        // An import whose process died: removed now unless an import runs (then it removes it).
        if readOnlyReason == nil { try await removeAbandonedImports() }
        listener.start()
    }

    deinit {
        listener.stop()
        runner.cancel()
    }

    /// `url` with its password replaced by `***`, for messages and logs.
    public static func redacted(_ url: String) -> String {
        PostgresURL.redact(url)
    }

    // MARK: opening

    /// A session lock on the database, held by a connection of its own until released.
    @_spi(StoreImplementation) public func takeOpeningLock() async throws(GantryError) -> (any StoreOpeningLock)? {
        try await PostgresSessionLock.taken(.open, client: client, location: location, logger: logger)
    }

    /// The session advisory lock of the lease `name` in this store's schema, if no other session
    /// holds it.
    @_spi(StoreImplementation) public func takeLease(_ name: String) async throws(GantryError) -> (any StoreOpeningLock)? {
        try await PostgresSessionLock.taken(.lease(name), client: client, location: location, logger: logger, wait: false)
    }

    /// The identity most stored tools were embedded by.
    @_spi(StoreImplementation) public func servedModel() async throws(GantryError) -> String? {
        let logger = logger
        return try await withConnection("read the tools of") { connection, _ in
            let rows = try await connection.query("SELECT model FROM tool GROUP BY 1 ORDER BY count(*) DESC, model COLLATE \"C\" LIMIT 1", logger: logger)
            for try await model in rows.decode(String.self) { return model }
            return nil
        }
    }

    /// Applies `ModelAdmission` to the stored tools.
    @_spi(StoreImplementation) public func admit(model: String, dimension: Int, reembedOnModelChange: Bool) async throws(GantryError) {
        let admission = ModelAdmission(model: model, dimension: dimension, reembedOnModelChange: reembedOnModelChange)
        let logger = logger
        let groups = try await withConnection("read the tools of") { connection, _ in
            var groups = [ModelAdmission.VectorGroup]()
            let rows = try await connection.query("SELECT model, octet_length(vector), count(*) FROM tool GROUP BY 1, 2", logger: logger)
            for try await (model, bytes, count) in rows.decode((String, Int, Int).self) {
                groups.append(ModelAdmission.VectorGroup(model: model, bytes: bytes, count: count))
            }
            return groups
        }
        try admission.check(groups, location: location, isReadOnly: isReadOnly)
    }
}
