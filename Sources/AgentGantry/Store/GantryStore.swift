import Foundation
import GRDB

/// Durable state of an `AgentGantry`: tools with their embeddings, the event log (feedback and
/// executions), circuit-breaker states and the adapter versions. SQLite through GRDB, WAL mode,
/// a versioned schema applied by migrations; every write is one transaction.
public final class GantryStore: Sendable {
    let database: DatabaseQueue
    /// The store's file, as an absolute path (nil in memory).
    public let path: String?
    /// Whether the store was opened read-only (the file or its folder is not writable): reads
    /// work, writes throw `GantryError.readOnlyStore`.
    public let isReadOnly: Bool

    /// Opens (creating if needed) the store at `path` (relative to the current directory unless
    /// absolute), or an in-memory one when nil. A store whose file or folder is not writable opens
    /// read-only, provided it needs no migration.
    public init(path: String?) throws(GantryError) {
        let path = path.map(Self.absolute)
        self.path = path
        isReadOnly = path.map(Self.isReadOnlyFile) ?? false
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            configuration.readonly = isReadOnly
            // Deleted rows (a forgotten user's queries, a withdrawn adapter) are overwritten with
            // zeros rather than left in free pages.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
            if let path {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                database = try Self.open(path, configuration: configuration)
                if !isReadOnly { try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") } }
                // SQLite has no checksums; quick_check finds a damaged file's broken pages and
                // indexes before anything is read from it (55 ms for a 62 MB store, page cache warm).
                let problems = try database.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
                guard problems == ["ok"] else {
                    throw GantryError.store("\(path) is damaged (\(problems.prefix(3).joined(separator: "; "))); restore a backup, or "
                                            + "open a new store and importEvents() an export of this one")
                }
            } else {
                database = try DatabaseQueue(configuration: configuration)
            }
            try database.read { try Self.checkSchemaVersion($0) }
            if isReadOnly {
                let pending = try database.read { try Self.migrator.completedMigrations($0).count < Self.schemaVersion }
                guard !pending else {
                    throw GantryError.readOnlyStore("\(path!) needs a migration to schema version \(Self.schemaVersion), which a read-only "
                                                    + "store cannot make: open it once with write access")
                }
            } else {
                try Self.migrator.migrate(database)
                try database.writeWithoutTransaction { db in
                    if try Int.fetchOne(db, sql: "PRAGMA user_version") != Self.schemaVersion {
                        try db.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)")
                    }
                }
            }
            try database.read { try Self.verifySchema($0) }
        } catch let error as GantryError {
            throw error
        } catch {
            throw .store("cannot open \(path ?? "the in-memory store"): \(error)")
        }
    }

    /// `path` made absolute against the current directory.
    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Whether `path` exists and cannot be written, or its folder cannot (SQLite needs to create
    /// the write-ahead log beside it).
    private static func isReadOnlyFile(_ path: String) -> Bool {
        guard access(path, F_OK) == 0 else { return false }
        return access(path, W_OK) != 0 || access((path as NSString).deletingLastPathComponent, W_OK) != 0
    }

    /// Opens the SQLite file; read-only on a read-only mount, where SQLite cannot create the
    /// shared-memory file of WAL mode, falls back to opening the file as immutable.
    private static func open(_ path: String, configuration: Configuration) throws -> DatabaseQueue {
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            if configuration.readonly { _ = try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } }
            return queue
        } catch where configuration.readonly {
            let uri = "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
            return try DatabaseQueue(path: uri, configuration: configuration)
        }
    }

    /// Throws `GantryError.readOnlyStore` when the store was opened read-only.
    func checkWritable() throws(GantryError) {
        guard !isReadOnly else { throw .readOnlyStore("\(path ?? "the store") is read-only (the file or its folder is not writable)") }
    }

    func write<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        try checkWritable()
        do { return try database.write(body) } catch { throw .store("\(error)") }
    }

    private func read<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.read(body) } catch { throw .store("\(error)") }
    }

    // MARK: tools

    /// A stored tool, the model that embedded it, and its frozen embedding.
    struct StoredTool: Sendable {
        var tool: Tool
        var model: String
        var vector: [Float]
    }

    /// Inserts or replaces tools with their vectors, all in one transaction.
    func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) throws(GantryError) {
        let now = Date()
        let records = tools.map { ToolRecord(tool: $0.tool, vector: $0.vector, model: model, at: now) }
        try write { db in for record in records { try record.insert(db, onConflict: .replace) } }
    }

    func removeTool(_ name: String) throws(GantryError) {
        try write { db in
            _ = try ToolRecord.deleteOne(db, key: name)
            _ = try BreakerRecord.deleteOne(db, key: name)
        }
    }

    /// The stored tools that pass `ToolRecord.stored(model:dimension:)`, by name, and the rows
    /// that do not (for `quarantine`).
    func tools(model: String, dimension: Int) throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        let records = try read { db in try ToolRecord.order(Column("name")).fetchAll(db) }
        var tools = [StoredTool](), damaged = [QuarantinedRow]()
        for record in records {
            switch record.stored(model: model, dimension: dimension) {
            case .success(let tool): tools.append(tool)
            case .failure(let problem): damaged.append(QuarantinedRow(table: "tool", key: record.name, reason: problem.reason, at: Date()))
            }
        }
        return (tools, damaged)
    }

    // MARK: events

    /// Appends a feedback event; returns its id once it is durable.
    func appendFeedback(_ event: FeedbackEvent) throws(GantryError) -> Int64 {
        try append(EventRecord(event))
    }

    /// Appends an execution event; returns its id once it is durable.
    func appendExecution(_ event: ExecutionEvent) throws(GantryError) -> Int64 {
        try append(EventRecord(event))
    }

    private func append(_ record: EventRecord) throws(GantryError) -> Int64 {
        try write { db in
            var record = record
            try record.insert(db)
            return record.id!
        }
    }

    /// The whole log, oldest first, and the rows that are not valid events (for `quarantine`).
    func events() throws(GantryError) -> (events: [GantryEvent], damaged: [QuarantinedRow]) {
        let records = try read { db in try EventRecord.order(Column("id")).fetchAll(db) }
        var events = [GantryEvent](), damaged = [QuarantinedRow]()
        for record in records {
            do {
                events.append(try record.event())
            } catch {
                damaged.append(QuarantinedRow(table: "event", key: record.id.map(String.init) ?? "?", reason: error.reason, at: Date()))
            }
        }
        return (events, damaged)
    }

    /// The valid feedback events, oldest first.
    func feedbackEvents() throws(GantryError) -> [FeedbackEvent] {
        try events(of: EventColumns.Kind.feedback).compactMap { if case .feedback(let event) = $0 { event } else { nil } }
    }

    /// The valid execution events, oldest first.
    func executionEvents() throws(GantryError) -> [ExecutionEvent] {
        try events(of: EventColumns.Kind.execution).compactMap { if case .execution(let event) = $0 { event } else { nil } }
    }

    /// The valid events of `kind`, oldest first (rows that are not are quarantined at open).
    private func events(of kind: String) throws(GantryError) -> [GantryEvent] {
        try read { db in try EventRecord.filter(Column("kind") == kind).order(Column("id")).fetchAll(db).compactMap { try? $0.event() } }
    }

    /// The valid feedback events, oldest first, the highest event id stored when they were read,
    /// and how many feedback rows there were (one snapshot: what a training run was trained on;
    /// `saveAdapter` compares the count to tell whether any of them was deleted meanwhile).
    func feedbackEventsAndHighestID() throws(GantryError) -> (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int) {
        let (records, highest, count) = try read { db in
            (try EventRecord.filter(Column("kind") == EventColumns.Kind.feedback).order(Column("id")).fetchAll(db),
             try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(id), 0) FROM event") ?? 0,
             try EventRecord.filter(Column("kind") == EventColumns.Kind.feedback).fetchCount(db))
        }
        let events = records.compactMap { record in if case .feedback(let event)? = try? record.event() { event } else { nil } }
        return (events, highest, count)
    }

    /// Deletes every event of `user` and withdraws the adapter versions that saw one (see
    /// `delete(_:in:)`); returns how many events.
    func deleteEvents(of user: String) throws(GantryError) -> Int {
        let removed = try write { db in try Self.delete(EventRecord.filter(Column("user") == user), in: db) }
        try eraseWriteAheadLog()
        return removed
    }

    /// Copies the write-ahead log into the file and truncates it, so that the old page images it
    /// holds (of rows just deleted) are gone from disk too. Readers of other connections may hold
    /// pages back; the next checkpoint then completes it.
    private func eraseWriteAheadLog() throws(GantryError) {
        guard path != nil else { return }
        do { try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } } catch { throw .store("\(error)") }
    }

    /// How many events are older than `date`.
    func countEvents(before date: Date) throws(GantryError) -> Int {
        try read { db in try EventRecord.filter(Column("at") < date.timeIntervalSince1970).fetchCount(db) }
    }

    /// Deletes events older than `date` and withdraws the adapter versions that saw one (see
    /// `delete(_:in:)`); returns how many events.
    func deleteEvents(before date: Date) throws(GantryError) -> Int {
        let removed = try write { db in try Self.delete(EventRecord.filter(Column("at") < date.timeIntervalSince1970), in: db) }
        if removed > 0 { try eraseWriteAheadLog() }
        return removed
    }

    /// Deletes the events `request` selects and, in the same transaction, withdraws every adapter
    /// version trained on one of the feedback events among them (a deleted feedback id at most
    /// its `highestEventID`): the ids join its `forgottenSince` and its file is deleted, so that
    /// no process ever serves weights that carry forgotten feedback. Returns how many events.
    private static func delete(_ request: QueryInterfaceRequest<EventRecord>, in db: Database) throws -> Int {
        let feedbackIDs = try request.filter(Column("kind") == EventColumns.Kind.feedback)
            .select(Column("id"), as: Int64.self).order(Column("id")).fetchAll(db)
        let removed = try request.deleteAll(db)
        guard let lowest = feedbackIDs.first else { return removed }
        for var record in try AdapterRecord.filter(Column("highestEventID") >= lowest).fetchAll(db) {
            record.withdraw(forgetting: feedbackIDs)
            try record.update(db)
        }
        return removed
    }

    // MARK: breakers and adapter

    func saveBreaker(_ tool: String, _ breaker: CircuitBreaker) throws(GantryError) {
        try write { db in try BreakerRecord(tool: tool, breaker).insert(db, onConflict: .replace) }
    }

    func breakers() throws(GantryError) -> [String: CircuitBreaker] {
        let records = try read { db in try BreakerRecord.fetchAll(db) }
        return Dictionary(records.map { ($0.tool, $0.breaker) }) { _, last in last }
    }

    /// How many adapter versions the store keeps (the newest; older ones are deleted).
    static let adapterVersionsKept = 3

    /// Stores a newly trained adapter as the newest version and deletes versions beyond
    /// `adapterVersionsKept`; returns its version. `feedbackCount` is how many feedback events
    /// its training read (`feedbackEventsAndHighestID`): when fewer with ids up to the record's
    /// `highestEventID` remain, some were deleted while it trained (by `forget(user:)` or
    /// retention, in any process), and nothing is stored: returns nil. New events get higher
    /// ids, so the count drops only by deletions.
    func saveAdapter(_ record: AdapterRecord, feedbackCount: Int) throws(GantryError) -> Int64? {
        try write { db in
            let remaining = try EventRecord.filter(Column("kind") == EventColumns.Kind.feedback && Column("id") <= record.highestEventID)
                .fetchCount(db)
            guard remaining == feedbackCount else { return nil }
            var record = record
            try record.insert(db)
            try db.execute(sql: "DELETE FROM adapterVersion WHERE version NOT IN (SELECT version FROM adapterVersion ORDER BY version DESC LIMIT ?)",
                           arguments: [Self.adapterVersionsKept])
            return record.version!
        }
    }

    /// The adapter to serve: the newest version that has its file and saw no forgotten event.
    func servedAdapter() throws(GantryError) -> AdapterRecord? {
        try read { db in try Self.served.fetchOne(db) }
    }

    /// The version of `servedAdapter()`, read without its file (which can be megabytes).
    func servedAdapterVersion() throws(GantryError) -> Int64? {
        try read { db in try Self.served.select(Column("version"), as: Int64.self).fetchOne(db) }
    }

    private static var served: QueryInterfaceRequest<AdapterRecord> {
        AdapterRecord.filter(sql: "file IS NOT NULL AND forgottenSince = '[]'").order(Column("version").desc)
    }

    /// Every stored adapter version, newest first.
    func adapterVersions() throws(GantryError) -> [AdapterRecord] {
        try read { db in try AdapterRecord.order(Column("version").desc).fetchAll(db) }
    }

    // MARK: quarantine

    /// Moves `rows` (found damaged by `tools(model:dimension:)`, `events()` or when an adapter
    /// version did not decode) into the quarantine table, in one transaction.
    func quarantine(_ rows: [QuarantinedRow]) throws(GantryError) {
        guard !rows.isEmpty else { return }
        try write { db in
            for row in rows {
                switch row.table {
                case "tool": try QuarantineRecord.move(db, table: "tool", keyColumn: "name", key: row.key, reason: row.reason)
                case "event": try QuarantineRecord.move(db, table: "event", keyColumn: "id", key: Int64(row.key) ?? -1, reason: row.reason)
                default: try QuarantineRecord.move(db, table: "adapterVersion", keyColumn: "version", key: Int64(row.key) ?? -1, reason: row.reason)
                }
            }
        }
    }

    /// The rows set aside because they failed validation, oldest first.
    func quarantinedRows() throws(GantryError) -> [QuarantinedRow] {
        try read { db in try QuarantineRecord.order(Column("id")).fetchAll(db).map(\.row) }
    }
}

// MARK: export and import

extension GantryStore {
    /// The event log as JSON lines, oldest first (feedback and executions).
    func exportEvents() throws(GantryError) -> String {
        try EventLog.encode(feedback: feedbackEvents(), executions: executionEvents())
    }

    /// Appends the events of JSON lines (as `exportEvents` writes them), all or nothing: every
    /// line is validated by `EventLog.decode` before one transaction writes them.
    func importEvents(_ text: String, dimension: Int, knownTools: Set<String>, model: String) throws(GantryError) -> Int {
        let (feedback, executions) = try EventLog.decode(text, dimension: dimension, knownTools: knownTools, assumedModel: model)
        let records = feedback.map(EventRecord.init) + executions.map(EventRecord.init)
        try write { db in
            for var record in records { try record.insert(db) }
        }
        return records.count
    }
}
