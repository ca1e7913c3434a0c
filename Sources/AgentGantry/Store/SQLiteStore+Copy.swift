import Foundation
import GRDB

extension SQLiteStore {
    /// Everything the store holds, read in one transaction (`StoreCopy`).
    @_spi(StoreImplementation) public func contents() async throws(GantryError) -> StoreContents {
        try await read { db in
            var tools = [StoredTool](), damaged = [QuarantinedRow]()
            damaged += try Self.forEachRow(ToolRecord.self, of: "tool", columns: ToolRecord.columns, keyColumn: "name", order: "name", in: db) {
                rowid, record in
                switch StoredTool.validatedAsStored(name: record.name, definition: record.definition, model: record.model,
                                                    vector: StoredVector.floats(record.vector), rowid: rowid) {
                case .success(let tool): tools.append(tool)
                case .failure(let problem):
                    damaged.append(QuarantinedRow(table: "tool", key: record.name, reason: problem.reason, at: Date(), rowid: rowid))
                }
            }
            let events = try Self.readEvents(db)
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'event'") ?? 0
            let adapters = try Self.decodeRows(AdapterRecord.self, of: "adapterVersion", keyColumn: "version", order: "version", in: db)
            let quarantine = try QuarantineRecord.order(Column("id")).fetchAll(db).map { QuarantinedContent(row: $0.row, content: $0.content) }
            var contents = StoreContents(tools: tools, events: events.events, eventSequence: sequence, adapterVersions: adapters.records.map(\.record),
                                         quarantine: quarantine, damaged: damaged + events.damaged + adapters.damaged)
            if try db.tableExists("retrieval") {
                contents.addRetrievals(try Self.readRecords(db, where: "1", []), reports: try Self.readReports(db),
                                       blocks: try Int64.fetchOne(db, sql: "SELECT value FROM storeMeta WHERE key = 'retrievalBlocks'") ?? 0)
            }
            return contents
        }
    }

    /// Writes `contents` into this empty store in one transaction, keeping event ids and adapter
    /// version numbers (SQLite's AUTOINCREMENT continues past them); the change log's triggers
    /// log the tools and adapter versions for followers.
    @_spi(StoreImplementation) public func restore(_ contents: StoreContents) async throws(GantryError) {
        let held = try await read { db in try Self.heldRows(db) }
        guard held == 0 else { throw Self.notEmpty(location, held) }
        let now = Date(), location = location
        try await write { db in
            let held = try Self.heldRows(db)  // a writer between the check and this transaction
            guard held == 0 else { throw Self.notEmpty(location, held) }
            for stored in contents.tools {
                try ToolRecord(tool: stored.tool, vector: stored.vector, model: stored.model, at: now).insert(db)
            }
            for event in contents.events {
                var record = switch event {
                case .feedback(let event): EventRecord(event)
                case .execution(let event): EventRecord(event)
                }
                record.id = event.id
                try Self.insert(&record, in: db)
            }
            // Ids past the copied ones continue past every id the source handed out.
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'event'", arguments: [contents.eventSequence])
            if db.changesCount == 0 {
                try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('event', ?)", arguments: [contents.eventSequence])
            }
            for var adapter in contents.adapterVersions { try adapter.insert(db) }
            for quarantined in contents.quarantine {
                var record = QuarantineRecord(source: quarantined.row.table, key: quarantined.row.key, reason: quarantined.row.reason,
                                              content: quarantined.content, at: quarantined.row.at.timeIntervalSince1970)
                try record.insert(db)
            }
            _ = try Self.insert(records: contents.retrievals, reports: contents.reports, in: db)
            try db.execute(sql: "UPDATE storeMeta SET value = max(value, ?) WHERE key = 'retrievalBlocks'", arguments: [contents.retrievalBlocks])
        }
    }

    /// Tools, events, adapter versions and quarantined rows the store holds.
    private static func heldRows(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT (SELECT COUNT(*) FROM tool) + (SELECT COUNT(*) FROM event) + (SELECT COUNT(*) FROM adapterVersion)
                 + (SELECT COUNT(*) FROM quarantine)
            """) ?? 0
    }

    private static func notEmpty(_ location: String, _ held: Int) -> GantryError {
        .invalidInput("\(location) holds tools, events, adapter versions or quarantined rows (\(held) in all): a copy goes into a new "
                      + "store (give another file, or an empty database or schema)")
    }

    /// Writes a consistent copy of the store to a new SQLite file at `path`, while other
    /// processes keep using the store (`backup(file:to:)` of this store's connection; an
    /// in-memory store too).
    ///
    /// - Throws: `GantryError.invalidInput` when `path` (or a `-wal`/`-shm` file of that name)
    ///   exists; store errors.
    public func backup(to path: String) throws(GantryError) {
        try Self.vacuum(database, from: location, into: path)
    }

    /// Writes a consistent copy of the SQLite store at `file` to a new file at `path` without
    /// opening it as a store, so nothing is written to it — no migration, no expand step: a
    /// backup taken before an upgrade stays the old version's. SQLite's `VACUUM INTO` (a
    /// compacted copy of one snapshot, every row as stored, damaged and quarantined ones too) on a
    /// read-only connection, into a temporary file beside `path` that is synced and then linked
    /// to `path` — so `path` is either absent or a whole backup, and an existing file is never
    /// replaced.
    ///
    /// - Throws: `GantryError.invalidInput` when `file` is not an AgentGantry store or `path` (or
    ///   a `-wal`/`-shm` file of that name, which SQLite would read as part of it) exists; store
    ///   errors.
    public static func backup(file: String, to path: String) throws(GantryError) {
        let source = absolute(file)
        guard holdsStore(at: source) else { throw .invalidInput("\(source) is not an AgentGantry store (no store tables in it)") }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let database: DatabaseQueue
        do { database = try DatabaseQueue(path: source, configuration: configuration) } catch {
            throw .store("cannot open \(source) to back it up: \(error)")
        }
        try vacuum(database, from: source, into: path)
    }

    /// `VACUUM INTO` a temporary beside `path`, fsync, then `link()` to `path`.
    private static func vacuum(_ database: DatabaseQueue, from location: String, into path: String) throws(GantryError) {
        let target = absolute(path)
        for name in [target, target + "-wal", target + "-shm"] where FileManager.default.fileExists(atPath: name) {
            throw .invalidInput("\(name) exists: a backup or copy goes into a new file (remove it, or give another name)")
        }
        let temporary = target + ".partial-\(UUID().uuidString)"
        defer { unlink(temporary) }
        do {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try database.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
        } catch {
            throw .store("cannot back \(location) up into \(target): \(error)")
        }
        let fd = open(temporary, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw .store("cannot sync the backup \(temporary): \(String(cString: strerror(errno)))")
        }
        close(fd)
        // link() refuses an existing name, where rename() would replace it.
        guard link(temporary, target) == 0 else {
            throw .store("cannot name the backup \(target): \(String(cString: strerror(errno)))")
        }
        let folder = open((target as NSString).deletingLastPathComponent, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
