import Foundation
import GRDB
import Synchronization

/// The ``GantryStore`` of one machine: tools with their embeddings, the event log (feedback and
/// executions), the change log and the adapter versions in one SQLite file, through GRDB, in WAL
/// mode, with a versioned schema applied by migrations and expand steps; every write is one
/// transaction. Several processes on the machine may share the file.
public final class SQLiteStore: GantryStore {
    let database: DatabaseQueue
    /// The store's file, as an absolute path (nil in memory).
    public let path: String?
    /// Why the store was opened read-only (its file, its folder or its write-ahead log files are
    /// not writable), or nil: reads work, writes throw `GantryError.readOnlyStore` saying this.
    public let readOnlyReason: String?
    /// The file's path, or "the in-memory store".
    public var location: String { path ?? "the in-memory store" }
    /// True for a file (other processes may open it), false in memory.
    public var isShared: Bool { path != nil }
    /// Whether the store has the change log that processes follow (expand step 1): every store
    /// opened with write access by this version has; a read-only store of an older one may not
    /// (then `changes(after:)` compares the whole catalogue and counts the events).
    let hasChangeLog: Bool
    /// Set once the file is in WAL mode (switched by the first write, so that opening a store
    /// and refusing it leaves its file as it was).
    private let walMode = WALSwitch()
    /// For tests: called after each import transaction commits, with the events written so far;
    /// throwing fails the import there (`importEvents`).
    let importTransactionCommitted = Mutex<(@Sendable (_ written: Int) throws(GantryError) -> Void)?>(nil)

    /// Opens (creating if needed) the store at `path` (relative to the current directory unless
    /// absolute), or an in-memory one when nil. A store whose file, folder or write-ahead log
    /// files are not writable opens read-only, provided it needs no migration. A store of a newer
    /// schema is refused before SQLite opens it.
    /// Opens of one store by several processes run one at a time (`StoreFileLock`, `.open`).
    public convenience init(path: String?) throws(GantryError) {
        let lock = try StoreFileLock.taken(forStore: path, for: .open)
        defer { lock?.release() }
        try self.init(path: path, admission: nil)
    }

    /// Opens the store as `init(path:)` does; `admission`, when given, decides from the stored
    /// tools whether this embedder may serve them, before anything is migrated or written. The
    /// caller holds the store's `StoreFileLock` for `.open`.
    init(path: String?, admission: ModelAdmission?) throws(GantryError) {
        let path = path.map(Self.absolute)
        self.path = path
        readOnlyReason = path.flatMap(Self.readOnlyReason)
        let isReadOnly = readOnlyReason != nil
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
                try Self.checkHeaderVersion(path)
                database = try Self.open(path, configuration: configuration)
                // SQLite has no checksums; quick_check finds a damaged file's broken pages and
                // indexes before anything is read from it (55 ms for a 62 MB store, page cache warm).
                let problems = try database.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
                guard problems == ["ok"] else {
                    throw GantryError.store("\(path) is damaged (\(problems.prefix(3).joined(separator: "; "))); restore a backup (gantry store restore), or "
                                            + "open a new store and importEvents() an export of this one")
                }
            } else {
                database = try DatabaseQueue(configuration: configuration)
            }
            try database.read { try Self.checkSchemaVersion($0) }
            if let admission, let path {
                try database.read { try admission.check($0, path: path, isReadOnly: isReadOnly) }
            }
            let pending = try database.read { try Self.migrator.completedMigrations($0).count < Self.schemaVersion }
            if pending {
                guard !isReadOnly else {
                    throw GantryError.readOnlyStore("\(path!) needs a migration to schema version \(Self.schemaVersion), which a read-only "
                                                    + "store cannot make (\(readOnlyReason!)): open it once with write access")
                }
                try walMode.ensure(database, path: path)
                try Self.migrator.migrate(database)
                try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA user_version = \(Self.schemaVersion)") }
            }
            try database.read { try Self.verifySchema($0) }
            if !isReadOnly {
                let applied = try database.read { try Self.appliedExpandSteps($0) }
                if applied.count < Self.expandSteps.count {
                    try walMode.ensure(database, path: path)
                    try Self.applyExpandSteps(database)
                }
                if try database.read({ try Self.changeLogNeedsPruning($0) }) { try database.write { try Self.pruneChangeLog($0) } }
                // An import whose process died: removed now unless an import runs (then it removes it).
                if let path { _ = try? Self.removeAbandonedImports(database, path: path) }
            }
            hasChangeLog = try database.read { try Self.appliedExpandSteps($0).contains(1) }
        } catch let error as GantryError {
            throw error
        } catch {
            throw .store("cannot open \(path ?? "the in-memory store"): \(error)")
        }
    }

    /// Whether `path` may hold an AgentGantry store, looked at without writing anything: false
    /// for a file that is not SQLite (an empty one too) or whose schema has no `tool` and `event`
    /// tables; true otherwise — also when the schema cannot be read just now (another process
    /// migrating it holds it), leaving the decision to the open. What commands that must not
    /// create a store check first: opening an empty file, or another program's SQLite database,
    /// would make it a store.
    public static func holdsStore(at path: String) -> Bool {
        guard FileManager.default.isReadableFile(atPath: path), (try? headerUserVersion(path)) != nil else { return false }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        guard let database = try? DatabaseQueue(path: path, configuration: configuration),
              let tables = try? database.read({ db in try db.tableExists("tool") && db.tableExists("event") }) else { return true }
        return tables
    }

    /// `path` made absolute against the current directory, as stores name their files.
    public static func absolutePath(_ path: String) -> String { absolute(path) }

    /// `path` made absolute against the current directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Why an existing store at `path` can only be read, or nil: the file, its folder (where SQLite
    /// creates the write-ahead log) or an existing `-wal`/`-shm` file (left by another user's
    /// process) is not writable.
    private static func readOnlyReason(_ path: String) -> String? {
        guard access(path, F_OK) == 0 else { return nil }
        let folder = (path as NSString).deletingLastPathComponent
        if access(path, W_OK) != 0 { return "\(path) is not writable" }
        if access(folder, W_OK) != 0 { return "its folder \(folder) is not writable" }
        for suffix in ["-wal", "-shm"] where access(path + suffix, F_OK) == 0 && access(path + suffix, W_OK) != 0 {
            return "\(path + suffix) is not writable (left by another user's process? remove it when no process has the store open)"
        }
        return nil
    }

    /// The `user_version` in the file's header, read by SQLite on a read-only connection (which
    /// takes a reader's lock, waiting up to 5 s for a writer, and never folds the log); where
    /// that connection cannot open (a read-only mount without the log's shared memory), as an
    /// immutable file. Throws for a file that is not SQLite (an empty file is an empty
    /// database: 0). Not immutable first: an immutable read takes no lock, so it can read pages
    /// another process is writing half done — a fleet opening a store one of them was migrating
    /// took it for no store at all. Never by a file handle of our own: closing any descriptor of a
    /// file drops every POSIX lock this process holds on it — the locks of a store already open
    /// here — after which another process takes itself for the last connection and deletes the
    /// write-ahead log under it (SQLite defers the closes of the descriptors it opens until the
    /// process holds no lock on the file).
    private static func headerUserVersion(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let version = { (file: DatabaseQueue) in try file.read { try Int.fetchOne($0, sql: "PRAGMA user_version") ?? 0 } }
        if let read = try? version(DatabaseQueue(path: path, configuration: configuration)) { return read }
        return try version(DatabaseQueue(path: immutableURI(path), configuration: configuration))
    }

    /// The URI opening `path` as an immutable file.
    private static func immutableURI(_ path: String) -> String {
        "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
    }

    /// Refuses a file whose header names a newer schema (`user_version`) before SQLite opens it
    /// for use: that open would switch its journal or checkpoint its log.
    private static func checkHeaderVersion(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path), let version = try? headerUserVersion(path) else { return }
        guard version <= schemaVersion else {
            throw GantryError.store("the store has schema version \(version); this AgentGantry reads schema versions up to \(schemaVersion): "
                                    + "open it with the newer AgentGantry that wrote it")
        }
    }

    /// Opens the SQLite file; read-only on a read-only mount, where SQLite cannot create the
    /// shared-memory file of WAL mode, falls back to opening the file as immutable — unless its
    /// write-ahead log holds commits, which an immutable open would not see.
    private static func open(_ path: String, configuration: Configuration) throws -> DatabaseQueue {
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            if configuration.readonly { _ = try queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } }
            return queue
        } catch where configuration.readonly {
            let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            guard log == 0 else {
                throw GantryError.readOnlyStore("\(path)-wal holds \(log) bytes of commits that cannot be read without its shared-memory "
                                                + "file, which this read-only location cannot hold: open the store once with write access "
                                                + "(that folds the log into the file), or copy the store with its -wal to a writable place")
            }
            return try DatabaseQueue(path: immutableURI(path), configuration: configuration)
        }
    }

    /// The `.open` `StoreFileLock` beside the file (nil in memory, or where no lock file can be made).
    @_spi(StoreImplementation) public func takeOpeningLock() throws(GantryError) -> (any StoreOpeningLock)? {
        try StoreFileLock.taken(forStore: path, for: .open)
    }

    /// The `.lease(name)` `StoreFileLock` beside the file, if no other process holds it; in
    /// memory (no other process can open the store) or where no lock file can be made, granted.
    @_spi(StoreImplementation) public func takeLease(_ name: String) throws(GantryError) -> (any StoreOpeningLock)? {
        guard let path else { return UnsharedLease() }
        return try StoreFileLock.attemptLease(forStore: path, name)
    }

    /// The identity most stored tools were embedded by (`ModelAdmission.servedModel`).
    @_spi(StoreImplementation) public func servedModel() throws(GantryError) -> String? {
        do { return try database.read { try ModelAdmission.servedModel($0) } } catch { throw .store("cannot read the tools of \(location): \(error)") }
    }

    /// `servedModel()` of the store file at `path`, read before the store is opened (to choose
    /// the embedder that opens it) through a read-only connection of its own, opened as a store
    /// is (`open(_:configuration:)`: on a read-only mount too); nil when there is no such file or
    /// it cannot be read so (opening it will say why).
    static func servedModel(atPath path: String) -> String? {
        let path = absolute(path)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try? open(path, configuration: configuration).read { try ModelAdmission.servedModel($0) }
    }

    /// Applies `ModelAdmission` to the stored tools.
    @_spi(StoreImplementation) public func admit(model: String, dimension: Int, reembedOnModelChange: Bool) throws(GantryError) {
        let admission = ModelAdmission(model: model, dimension: dimension, reembedOnModelChange: reembedOnModelChange)
        let (location, isReadOnly) = (location, isReadOnly)
        do {
            try database.read { try admission.check($0, path: location, isReadOnly: isReadOnly) }
        } catch let error as GantryError {
            throw error
        } catch {
            throw .store("cannot read the tools of \(location): \(error)")
        }
    }

    func write<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        try checkWritable()
        do {
            try walMode.ensure(database, path: path)
            return try database.write(body)
        } catch {
            throw .store("\(error)")
        }
    }

    /// Writes as `write` does, suspending (not blocking its thread) while the transaction commits.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(GantryError) -> T {
        try checkWritable()
        do {
            try walMode.ensure(database, path: path)
            return try await database.write(body)
        } catch {
            throw .store("\(error)")
        }
    }

    func read<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.read(body) } catch { throw .store("\(error)") }
    }

    /// Reads as `read` does, suspending (not blocking its thread) while a write holds the connection.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(GantryError) -> T {
        do { return try await database.read(body) } catch { throw .store("\(error)") }
    }

    // MARK: tools

    /// Inserts or replaces tools with their vectors, all in one transaction.
    @_spi(StoreImplementation) public func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) async throws(GantryError) {
        let now = Date()
        let records = tools.map { ToolRecord(tool: $0.tool, vector: $0.vector, model: model, at: now) }
        try await write { db in for record in records { try record.insert(db, onConflict: .replace) } }
    }

    @_spi(StoreImplementation) public func removeTool(_ name: String) async throws(GantryError) {
        try await write { db in _ = try ToolRecord.deleteOne(db, key: name) }
    }

    /// The stored tools that pass `ToolRecord.stored(model:dimension:)`, by name, and the rows
    /// that do not (for `quarantine`).
    @_spi(StoreImplementation) public func tools(model: String, dimension: Int) throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        var (rows, damaged) = try read { db in
            // A name stored as another type (a BLOB) or holding NUL reads as text but matches no
            // lookup by name.
            let untyped = Set(try Int64.fetchAll(db, sql: "SELECT rowid FROM tool WHERE " + Self.notPlainText("name")))
            // Decoding and validating the definitions took most of an open's time: done on the
            // other cores while this thread reads the rows.
            var pipeline = BatchPipeline<(rowid: Int64, record: ToolRecord), StoredRow>(batchSize: 2_048) { row in
                switch row.record.stored(model: model, dimension: dimension) {
                case .success(var tool):
                    tool.rowid = row.rowid
                    return .tool(tool)
                case .failure(let problem):
                    return .damaged(QuarantinedRow(table: "tool", key: row.record.name, reason: problem.reason, at: Date(), rowid: row.rowid))
                }
            }
            var damaged = [QuarantinedRow]()
            damaged += try Self.forEachRow(ToolRecord.self, of: "tool", columns: ToolRecord.columns, keyColumn: "name", order: "name", in: db) {
                if untyped.contains($0) {
                    damaged.append(QuarantinedRow(table: "tool", key: $1.name, reason: "its name is not stored as plain text", at: Date(), rowid: $0))
                } else {
                    pipeline.append(($0, $1))
                }
            }
            return (pipeline.finish(), damaged)
        }
        var tools = [StoredTool](), invalid = [QuarantinedRow]()
        tools.reserveCapacity(rows.count)
        while let row = rows.popLast() {  // moved out, not copied
            switch row {
            case .tool(let tool): tools.append(tool)
            case .damaged(let row): invalid.append(row)
            }
        }
        tools.reverse()
        return (tools, damaged + invalid.reversed())
    }

    /// A stored tool row, valid or not.
    private enum StoredRow: Sendable {
        case tool(StoredTool)
        case damaged(QuarantinedRow)
    }

    /// SQL that is true when `column` holds something other than NULL or text without NUL: such a
    /// value reads as text (cut at the NUL, or decoded from a BLOB) but no lookup by value finds it.
    static func notPlainText(_ column: String) -> String {
        "(typeof(\(column)) NOT IN ('text', 'null') OR instr(\(column), char(0)) > 0)"
    }

    /// Every row of `table` (those with `kind`, when given) in `order` decoded as `Record` with
    /// its rowid, and the rows whose values do not decode (a damaged file: text where a number
    /// belongs, a BLOB for a name), named by `keyColumn`, for `quarantine`. `columns` are those
    /// `Record(row:)` reads (all of them, by default), the rowid is selected after them.
    /// `cachingStatement` keeps the compiled statement with the connection for the next call of
    /// the same shape (for a read made again and again, such as catching up on events; not for
    /// filters whose text varies from call to call).
    static func decodeRows<Record: FetchableRecord>(_ type: Record.Type, of table: String, columns: [String]? = nil, keyColumn: String,
                                                    order: String, kind: String? = nil, filter: String? = nil,
                                                    arguments: StatementArguments = [], limit: Int? = nil, cachingStatement: Bool = false,
                                                    in db: Database)
        throws -> (records: [(rowid: Int64, record: Record)], damaged: [QuarantinedRow])
    {
        var records = [(rowid: Int64, record: Record)]()
        let damaged = try forEachRow(type, of: table, columns: columns, keyColumn: keyColumn, order: order, kind: kind, filter: filter,
                                     arguments: arguments, limit: limit, cachingStatement: cachingStatement, in: db) { records.append(($0, $1)) }
        return (records, damaged)
    }

    /// `body` of every row of `table` that decodes, as `decodeRows` selects and decodes them, in
    /// `order`; returns the rows that do not decode.
    static func forEachRow<Record: FetchableRecord>(_ type: Record.Type, of table: String, columns: [String]? = nil, keyColumn: String,
                                                    order: String, kind: String? = nil, filter: String? = nil,
                                                    arguments: StatementArguments = [], limit: Int? = nil, cachingStatement: Bool = false,
                                                    in db: Database,
                                                    _ body: (_ rowid: Int64, _ record: Record) throws -> Void) throws -> [QuarantinedRow]
    {
        var damaged = [QuarantinedRow]()
        var conditions = [String](), arguments = arguments
        if let filter { conditions.append("(\(filter))") }
        if let kind {
            conditions.append("kind = ?")
            arguments += [kind]
        }
        let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") + " "
        let selection = columns?.joined(separator: ", ") ?? "*"
        let sql = "SELECT \(selection), rowid AS gantryRowID FROM \(table) \(condition)ORDER BY \(order)" + (limit.map { " LIMIT \($0)" } ?? "")
        // A cursor: each row is read in place, not copied first.
        let rows = try Row.fetchCursor(cachingStatement ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let rowid: Int64 = row[row.count - 1]
            let record: Record
            do {
                record = try Record(row: row)
            } catch {
                let key = row[keyColumn] as DatabaseValue
                let name = String.fromDatabaseValue(key) ?? Int64.fromDatabaseValue(key).map(String.init) ?? "rowid \(rowid)"
                damaged.append(QuarantinedRow(table: table, key: name, reason: "a value does not decode: \(error)", at: Date(), rowid: rowid))
                continue
            }
            try body(rowid, record)
        }
        return damaged
    }

    // MARK: events

    /// Appends `events`, retrieval `records` and `reports` in one transaction (event and report
    /// ids are assigned here); returns the events' ids, then the reports', in order, once they
    /// are durable (`EventWriter` batches the calls of many callers into one).
    @_spi(StoreImplementation) public func appendEvents(_ events: [GantryEvent], records: [RetrievalRecord],
                                                        reports: [RetrievalReport]) async throws(GantryError) -> [Int64] {
        try checkWritable()
        let eventRecords = events.map { event in
            switch event {
            case .feedback(let event): EventRecord(event)
            case .execution(let event): EventRecord(event)
            }
        }
        do {
            try walMode.ensure(database, path: path)
            return try await database.write { db in
                var ids = [Int64]()
                for var record in eventRecords {
                    try Self.insert(&record, in: db)
                    ids.append(record.id!)
                }
                guard !records.isEmpty || !reports.isEmpty else { return ids }
                return ids + (try Self.insert(records: records, reports: reports, in: db))
            }
        } catch {
            throw .store("\(error)")
        }
    }

    /// The whole log, oldest first, and the rows that are not valid events (for `quarantine`).
    @_spi(StoreImplementation) public func events() throws(GantryError) -> (events: [GantryEvent], damaged: [QuarantinedRow]) {
        try read { db in try Self.readEvents(db) }
    }

    /// The ids past `?` of events with a name or text column not stored as plain text (built
    /// once: every catch-up asks it, under this text as its cached statement's key).
    private static let untypedEventsSQL = "SELECT id FROM event WHERE id > ? AND ("
        + ["user", "team", "session", "query", "tool", "correctTool", "feedbackType", "outcome", "intent", "model"]
            .map(notPlainText).joined(separator: " OR ") + ")"

    /// The events with ids above `id`, oldest first, at most `limit` rows, and the rows among
    /// them that are not valid events.
    static func readEvents(_ db: Database, after id: Int64 = 0, limit: Int? = nil) throws -> (events: [GantryEvent], damaged: [QuarantinedRow]) {
        let rows = try decodeRows(EventRecord.self, of: "event", keyColumn: "id", order: "id", filter: "id > ?", arguments: [id], limit: limit,
                                  cachingStatement: true, in: db)
        let untyped = Set(try Int64.fetchAll(db.cachedStatement(sql: untypedEventsSQL), arguments: [id]))
        var events = [GantryEvent](), damaged = rows.damaged
        let side = try sideRows(of: rows.records, in: db)
        for (rowid, record) in rows.records {
            // A name stored as another type (a BLOB) or holding NUL reads as text, but
            // `forget(user:)` and every other lookup by value would miss it.
            guard !untyped.contains(rowid) else {
                damaged.append(QuarantinedRow(table: "event", key: String(rowid), reason: "a name or text column is not stored as plain text",
                                              at: Date(), rowid: rowid))
                continue
            }
            do {
                events.append(try record.event(queryTerms: side.terms[rowid], retrieval: side.retrievals[rowid]))
            } catch {
                damaged.append(QuarantinedRow(table: "event", key: String(rowid), reason: error.reason, at: Date(), rowid: rowid))
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
        try read { db in
            try Self.eventsWithSideRows(Self.decodeRows(EventRecord.self, of: "event", keyColumn: "id", order: "id", kind: kind, in: db).records, in: db)
        }
    }

    /// The valid feedback events, oldest first, the highest event id stored when they were read,
    /// and how many feedback rows there were (one snapshot: what a training run was trained on;
    /// `saveAdapter` compares the count to tell whether any of them was deleted meanwhile).
    @_spi(StoreImplementation) public func feedbackEventsAndHighestID() throws(GantryError) -> (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int) {
        let (events, highest, count) = try read { db in
            (try Self.eventsWithSideRows(Self.decodeRows(EventRecord.self, of: "event", keyColumn: "id", order: "id", kind: EventColumns.Kind.feedback,
                                                      in: db).records, in: db),
             try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(id), 0) FROM event") ?? 0,
             try EventRecord.filter(Column("kind") == EventColumns.Kind.feedback).fetchCount(db))
        }
        return (events.compactMap { if case .feedback(let event) = $0 { event } else { nil } }, highest, count)
    }

    /// Deletes every event of `user` and withdraws the adapter versions that saw one (see
    /// `delete(_:in:)`); returns how many events.
    @_spi(StoreImplementation) public func deleteEvents(of user: String) throws(GantryError) -> Int {
        let removed = try write { db in try Self.delete(EventRecord.filter(Column("user") == user), in: db) }
        try eraseWriteAheadLog()
        return removed
    }

    /// Copies the write-ahead log into the file and truncates it, so that the old page images it
    /// holds (of rows just deleted) are gone from disk too. Readers of other connections may hold
    /// pages back; the next checkpoint then completes it.
    func eraseWriteAheadLog() throws(GantryError) {
        guard path != nil else { return }
        do { try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } } catch { throw .store("\(error)") }
    }

    /// How many events are older than `date`.
    @_spi(StoreImplementation) public func countEvents(before date: Date) throws(GantryError) -> Int {
        try read { db in try EventRecord.filter(Column("at") < date.timeIntervalSince1970).fetchCount(db) }
    }

    /// Deletes events older than `date` and withdraws the adapter versions that saw one (see
    /// `delete(_:in:)`); returns how many events.
    @_spi(StoreImplementation) public func deleteEvents(before date: Date) throws(GantryError) -> Int {
        let removed = try write { db in try Self.delete(EventRecord.filter(Column("at") < date.timeIntervalSince1970), in: db) }
        if removed > 0 { try eraseWriteAheadLog() }
        return removed
    }

    /// Deletes the events `request` selects and, in the same transaction, withdraws every adapter
    /// version trained on one of the feedback events among them (a deleted feedback id at most
    /// its `highestEventID`): the ids join its `forgottenSince` and its file is deleted, so that
    /// no process ever serves weights that carry forgotten feedback. Returns how many events.
    static func delete(_ request: QueryInterfaceRequest<EventRecord>, in db: Database) throws -> Int {
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

    // MARK: adapter

    /// The adapter rows that do not decode (for `quarantine`; `tools(model:dimension:)` and
    /// `events()` report their own). Breaker rows are not read: breakers are folded from the log.
    @_spi(StoreImplementation) public func damagedAdapters() throws(GantryError) -> [QuarantinedRow] {
        try read { db in
            try Self.decodeRows(AdapterRecord.self, of: "adapterVersion", keyColumn: "version", order: "version", in: db).damaged
        }
    }

    /// Stores a newly trained adapter as the newest version and deletes versions beyond
    /// `AdapterRecord.versionsKept`; returns its version. `feedbackCount` is how many feedback events
    /// its training read (`feedbackEventsAndHighestID`), `reportCount` how many retrieval reports
    /// (`reportedRetrievals()`, when it learned from them): when fewer with ids up to the record's
    /// `highestEventID` (`highestRetrievalReportID`) remain, some were deleted while it trained
    /// (by `forget(user:)` or retention, in any process), and nothing is stored: returns nil.
    /// New events and reports get higher ids, so the counts drop only by deletions.
    @_spi(StoreImplementation) public func saveAdapter(_ record: AdapterRecord, feedbackCount: Int, reportCount: Int) throws(GantryError) -> Int64? {
        try write { db in
            let remaining = try EventRecord.filter(Column("kind") == EventColumns.Kind.feedback && Column("id") <= record.highestEventID)
                .fetchCount(db)
            guard remaining == feedbackCount else { return nil }
            if let highest = record.highestRetrievalReportID {
                let reports = try db.tableExists("retrievalReport")
                    ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM retrievalReport WHERE id <= ?", arguments: [highest]) ?? 0 : 0
                guard reports == reportCount else { return nil }
            }
            var record = record
            try record.insert(db)
            try db.execute(sql: "DELETE FROM adapterVersion WHERE version NOT IN (SELECT version FROM adapterVersion ORDER BY version DESC LIMIT ?)",
                           arguments: [AdapterRecord.versionsKept])
            return record.version!
        }
    }

    /// The adapter to serve: the newest version that has its file and saw no forgotten event.
    @_spi(StoreImplementation) public func servedAdapter() throws(GantryError) -> AdapterRecord? {
        try read { db in try Self.served.fetchOne(db) }
    }

    /// The version of `servedAdapter()`, read without its file (which can be megabytes).
    @_spi(StoreImplementation) public func servedAdapterVersion() throws(GantryError) -> Int64? {
        try read { db in try Self.served.select(Column("version"), as: Int64.self).fetchOne(db) }
    }

    static var served: QueryInterfaceRequest<AdapterRecord> {
        AdapterRecord.filter(sql: "file IS NOT NULL AND forgottenSince = '[]'").order(Column("version").desc)
    }

    /// Every stored adapter version, newest first.
    @_spi(StoreImplementation) public func adapterVersions() throws(GantryError) -> [AdapterRecord] {
        try read { db in
            try Self.decodeRows(AdapterRecord.self, of: "adapterVersion", keyColumn: "version", order: "version DESC", in: db).records.map(\.record)
        }
    }

    // MARK: quarantine

    /// Moves `rows` (found damaged by `tools(model:dimension:)`, `events()` or when an adapter
    /// version did not decode) into the quarantine table, in one transaction.
    @_spi(StoreImplementation) public func quarantine(_ rows: [QuarantinedRow]) throws(GantryError) {
        guard !rows.isEmpty else { return }
        try write { db in
            for row in rows {
                guard let rowid = row.rowid else { continue }
                try QuarantineRecord.move(db, table: row.table, rowid: rowid, key: row.key, reason: row.reason)
            }
        }
    }

    /// The rows set aside because they failed validation, oldest first.
    @_spi(StoreImplementation) public func quarantinedRows() throws(GantryError) -> [QuarantinedRow] {
        try read { db in try QuarantineRecord.order(Column("id")).fetchAll(db).map(\.row) }
    }
}

// MARK: export

extension SQLiteStore {
    /// The event log as JSON lines, oldest first (feedback and executions).
    @_spi(StoreImplementation) public func exportEvents() throws(GantryError) -> String {
        try EventLog.encode(feedback: feedbackEvents(), executions: executionEvents())
    }
}
