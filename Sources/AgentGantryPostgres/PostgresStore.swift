import Foundation
import Logging
import PostgresNIO
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

    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    let listener: ChangeListener

    /// Connects to the database of `url` (see ``PostgresStore`` for what it accepts), creates
    /// the schema if the database has none, and refuses a schema a newer AgentGantry wrote.
    /// `poolSize` is the most connections this store uses for queries at once.
    public init(url: String, poolSize: Int = 4, logger: Logger? = nil) async throws(GantryError) {
        guard (1...64).contains(poolSize) else { throw .invalidInput("poolSize must be within 1...64, not \(poolSize)") }
        let parsed = try PostgresURL(url)
        var configuration = try parsed.clientConfiguration()
        configuration.options.maximumConnections = poolSize + 2  // the listener's, and a session lock's
        configuration.options.minimumConnections = 0
        let logger = logger ?? Logger(label: "AgentGantryPostgres", factory: { _ in SwiftLogNoOpLogHandler() })
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        location = parsed.redacted
        runner = Task { await client.run() }
        listener = ChangeListener(client: client, channel: PostgresSchema.channel, logger: logger)
        do {
            try await PostgresSchema.prepare(client, location: parsed.redacted, logger: logger)
            readOnlyReason = try await PostgresSchema.readOnlyReason(client, logger: logger)
        } catch {
            runner.cancel()
            throw Self.storeError(error, location: parsed.redacted, doing: "open")
        }
        // An import whose process died: removed now unless an import runs (then it removes it).
        if readOnlyReason == nil { try await removeAbandonedImports() }
        listener.start()
    }

    deinit {
        listener.stop()
        runner.cancel()
    }

    // MARK: running queries

    /// Runs `body` on a pooled connection; errors become `GantryError` naming `doing`.
    func withConnection<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws(GantryError) -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.storeError(error, location: location, doing: doing)
        }
    }

    /// Runs `body` in one transaction on a pooled connection: committed when it returns, rolled
    /// back when it throws. `readOnly` transactions read one snapshot (repeatable read).
    func transaction<T: Sendable>(_ doing: String, readOnly: Bool = false,
                                  _ body: (PostgresConnection) async throws -> T) async throws(GantryError) -> T {
        if !readOnly { try checkWritable() }
        let logger = logger
        return try await withConnection(doing) { connection in
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
    }

    /// A `GantryError` for `error`, met while doing `doing` on the store at `location`.
    static func storeError(_ error: any Error, location: String, doing: String) -> GantryError {
        if let error = error as? GantryError { return error }
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

    // MARK: opening

    /// A session lock on the database, held by a connection of its own until released.
    @_spi(StoreImplementation) public func takeOpeningLock() async throws(GantryError) -> (any StoreOpeningLock)? {
        try await PostgresSessionLock.taken(.open, client: client, location: location, logger: logger)
    }

    /// Applies `ModelAdmission` to the stored tools.
    @_spi(StoreImplementation) public func admit(model: String, dimension: Int, reembedOnModelChange: Bool) async throws(GantryError) {
        let admission = ModelAdmission(model: model, dimension: dimension, reembedOnModelChange: reembedOnModelChange)
        let logger = logger
        let groups = try await withConnection("read the tools of") { connection in
            var groups = [ModelAdmission.VectorGroup]()
            let rows = try await connection.query("SELECT model, octet_length(vector), count(*) FROM tool GROUP BY 1, 2", logger: logger)
            for try await (model, bytes, count) in rows.decode((String, Int, Int).self) {
                groups.append(ModelAdmission.VectorGroup(model: model, bytes: bytes, count: count))
            }
            return groups
        }
        try admission.check(groups, location: location, isReadOnly: isReadOnly)
    }

    // MARK: tools

    @_spi(StoreImplementation) public func tools(model: String, dimension: Int) async throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        let logger = logger
        let rows = try await withConnection("read the tools of") { connection in
            try await Self.toolRows(connection, filter: nil, logger: logger)
        }
        return Self.validated(rows, model: model, dimension: dimension)
    }

    /// A row of `tool`, as read.
    struct ToolRow: Sendable {
        var rowid: Int64, name: String, definition: String, model: String, vector: [Float]
    }

    /// The rows of `tool` (those named in `names`, when given), by name.
    static func toolRows(_ connection: PostgresConnection, filter names: [String]?, logger: Logger) async throws -> [ToolRow] {
        let query: PostgresQuery = names.map { names in
            "SELECT row_id, name, definition, model, vector FROM tool WHERE name = ANY(\(names)) ORDER BY name"
        } ?? "SELECT row_id, name, definition, model, vector FROM tool ORDER BY name"
        var rows = [ToolRow]()
        for try await (rowid, name, definition, model, vector) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, String, Data).self) {
            rows.append(ToolRow(rowid: rowid, name: name, definition: definition, model: model, vector: StoredVector.floats(vector)))
        }
        return rows
    }

    /// The valid tools among `rows`, and the damaged rows.
    static func validated(_ rows: [ToolRow], model: String, dimension: Int) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        var tools = [StoredTool](), damaged = [QuarantinedRow]()
        tools.reserveCapacity(rows.count)
        for row in rows {
            switch StoredTool.validated(name: row.name, definition: row.definition, model: row.model, vector: row.vector, rowid: row.rowid,
                                        servingModel: model, dimension: dimension) {
            case .success(let tool): tools.append(tool)
            case .failure(let problem):
                damaged.append(QuarantinedRow(table: "tool", key: row.name, reason: problem.reason, at: Date(), rowid: row.rowid))
            }
        }
        return (tools, damaged)
    }

    /// Inserts or replaces tools with their vectors, in one transaction that logs their names.
    @_spi(StoreImplementation) public func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) async throws(GantryError) {
        guard !tools.isEmpty else { return }
        let now = Date().timeIntervalSince1970, logger = logger
        let rows = tools.map { (name: $0.tool.name, definition: StoredTool.definition(of: $0.tool), fingerprint: $0.tool.fingerprint,
                                vector: StoredVector.data($0.vector)) }
        try await transaction("register tools in") { connection in
            for chunk in rows.chunked(1_000) {
                var sql = "INSERT INTO tool (name, definition, fingerprint, model, vector, updated_at) VALUES "
                var binds = PostgresBindings(capacity: chunk.count * 6)
                for (i, row) in chunk.enumerated() {
                    let n = i * 6
                    sql += (i == 0 ? "" : ", ") + "($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5), $\(n + 6))"
                    binds.append(row.name)
                    binds.append(row.definition)
                    binds.append(row.fingerprint)
                    binds.append(model)
                    try binds.append(row.vector)
                    binds.append(now)
                }
                sql += " ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, fingerprint = EXCLUDED.fingerprint, "
                    + "model = EXCLUDED.model, vector = EXCLUDED.vector, updated_at = EXCLUDED.updated_at"
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            }
            try await PostgresSchema.logChanges(connection, kind: "tool", names: rows.map(\.name), logger: logger)
        }
    }

    @_spi(StoreImplementation) public func removeTool(_ name: String) async throws(GantryError) {
        let logger = logger
        try await transaction("remove a tool from") { connection in
            try await connection.query("DELETE FROM tool WHERE name = \(name)", logger: logger)
            try await PostgresSchema.logChanges(connection, kind: "tool", names: [name], logger: logger)
        }
    }

    // MARK: adapters and quarantine

    @_spi(StoreImplementation) public func adapterVersions() async throws(GantryError) -> [AdapterRecord] {
        let logger = logger
        return try await withConnection("read the adapter versions of") { connection in
            try await Self.adapterRecords(connection, "ORDER BY version DESC", logger: logger)
        }
    }

    @_spi(StoreImplementation) public func servedAdapter() async throws(GantryError) -> AdapterRecord? {
        let logger = logger
        return try await withConnection("read the served adapter of") { connection in
            try await Self.adapterRecords(connection, Self.served + " LIMIT 1", logger: logger).first
        }
    }

    @_spi(StoreImplementation) public func servedAdapterVersion() async throws(GantryError) -> Int64? {
        let logger = logger
        return try await withConnection("read the served adapter of") { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT version FROM adapter_version " + Self.served + " LIMIT 1"),
                                                  logger: logger)
            for try await version in rows.decode(Int64.self) { return version }
            return nil
        }
    }

    /// The condition and order that pick the adapter to serve.
    static let served = "WHERE file IS NOT NULL AND cardinality(forgotten_since) = 0 ORDER BY version DESC"

    static func adapterRecords(_ connection: PostgresConnection, _ clause: String, logger: Logger) async throws -> [AdapterRecord] {
        let sql = "SELECT version, format, file, trained_at, highest_event_id, trained_events, forgotten_since, report FROM adapter_version " + clause
        var records = [AdapterRecord]()
        for try await (version, format, file, trainedAt, highest, trained, forgotten, report) in try await connection
            .query(PostgresQuery(unsafeSQL: sql), logger: logger).decode((Int64, Int, Data?, Double, Int64, Int, [Int64], String).self) {
            records.append(AdapterRecord(version: version, format: format, file: file, trainedAt: trainedAt, highestEventID: highest,
                                         trainedEvents: trained, forgottenSince: forgotten, report: report))
        }
        return records
    }

    /// Stores a new version unless feedback it trained on was deleted meanwhile (nil then), and
    /// keeps the newest `AdapterRecord.versionsKept`.
    @_spi(StoreImplementation) public func saveAdapter(_ record: AdapterRecord, feedbackCount: Int) async throws(GantryError) -> Int64? {
        let logger = logger
        return try await transaction("store an adapter in") { connection in
            // No deletion commits between the count and the insert.
            try await PostgresSchema.lockDeletions(connection, logger: logger)
            let counted = try await connection.query(
                "SELECT count(*) FROM event WHERE kind = 'feedback' AND id <= \(record.highestEventID)", logger: logger)
            var remaining = 0
            for try await count in counted.decode(Int.self) { remaining = count }
            guard remaining == feedbackCount else { return nil }
            let inserted = try await connection.query("""
                INSERT INTO adapter_version (format, file, trained_at, highest_event_id, trained_events, forgotten_since, report)
                VALUES (\(record.format), \(record.file), \(record.trainedAt), \(record.highestEventID), \(record.trainedEvents),
                        \(record.forgottenSince), \(record.report))
                RETURNING version
                """, logger: logger)
            var version: Int64 = 0
            for try await value in inserted.decode(Int64.self) { version = value }
            try await connection.query("""
                DELETE FROM adapter_version WHERE version NOT IN
                    (SELECT version FROM adapter_version ORDER BY version DESC LIMIT \(AdapterRecord.versionsKept))
                """, logger: logger)
            try await PostgresSchema.logChanges(connection, kind: "adapter", names: [nil], logger: logger)
            return version
        }
    }

    /// The adapter rows that do not decode: none (the server's types hold every column).
    @_spi(StoreImplementation) public func damagedAdapters() async throws(GantryError) -> [QuarantinedRow] { [] }

    /// Moves `rows` into `quarantine` with their content as JSON, in one transaction.
    @_spi(StoreImplementation) public func quarantine(_ rows: [QuarantinedRow]) async throws(GantryError) {
        guard !rows.isEmpty else { return }
        let logger = logger
        try await transaction("quarantine rows of") { connection in
            if rows.contains(where: { $0.table == "event" }) { try await PostgresSchema.lockDeletions(connection, logger: logger) }
            var events = 0, tools = [String](), adapters = false
            for row in rows {
                guard let rowid = row.rowid, let key = Self.keyColumn[row.table] else { continue }
                let table = row.table == "adapterVersion" ? "adapter_version" : row.table
                let moved = try await connection.query(PostgresQuery(unsafeSQL: """
                    WITH gone AS (DELETE FROM \(table) AS t WHERE \(key) = $1 RETURNING to_jsonb(t)::text AS content)
                    INSERT INTO quarantine (source, key, reason, content, at)
                    SELECT $2, $3, $4, content, extract(epoch FROM now()) FROM gone RETURNING id
                    """, binds: try Self.binds(rowid, row.table, row.key, row.reason)), logger: logger)
                var count = 0
                for try await _ in moved { count += 1 }
                switch row.table {
                case "event": events += count
                case "tool": tools.append(row.key)
                default: adapters = adapters || count > 0
                }
            }
            if events > 0 { try await PostgresSchema.countDeletions(connection, events, logger: logger) }
            if !tools.isEmpty { try await PostgresSchema.logChanges(connection, kind: "tool", names: tools, logger: logger) }
            if adapters { try await PostgresSchema.logChanges(connection, kind: "adapter", names: [nil], logger: logger) }
        }
    }

    /// The column each table's rows are moved by.
    private static let keyColumn = ["tool": "row_id", "event": "id", "adapterVersion": "version"]

    static func binds(_ rowid: Int64, _ strings: String...) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(rowid)
        for string in strings { binds.append(string) }
        return binds
    }

    @_spi(StoreImplementation) public func quarantinedRows() async throws(GantryError) -> [QuarantinedRow] {
        let logger = logger
        return try await withConnection("read the quarantine of") { connection in
            var rows = [QuarantinedRow]()
            for try await (source, key, reason, at) in try await connection
                .query("SELECT source, key, reason, at FROM quarantine ORDER BY id", logger: logger).decode((String, String, String, Double).self) {
                rows.append(QuarantinedRow(table: source, key: key, reason: reason, at: Date(timeIntervalSince1970: at)))
            }
            return rows
        }
    }
}
