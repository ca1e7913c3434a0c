import Foundation
import GRDB
import Synchronization

extension SQLiteStore {
    /// Appends the events of JSON lines (as `exportEvents` writes them), all or nothing, in line
    /// order, without holding the write lock for long. Every line is validated (`EventLog`)
    /// before anything is written; the events then go in short transactions (`ImportTransactions`),
    /// so that other writers — other processes included — wait for one of them at most.
    ///
    /// Each import has a row in `eventImport` and, until it finishes, the id ranges its
    /// transactions wrote (expand step 2). An import that fails removes what it wrote; one whose
    /// process died is removed by the next import, or by the next open when no import runs. Until
    /// an import finishes, other processes may see (and fold) the events written so far; a removal
    /// counts as a deletion, so they replay the log, and adapter versions trained on removed
    /// feedback are withdrawn, as `forget` withdraws them. Imports of one store take turns
    /// (`StoreFileLock`, `.import`).
    @_spi(StoreImplementation) public func importEvents(_ text: String, dimension: Int, knownTools: Set<String>, model: String,
                                                        renamedRetrievals: [RetrievalID: RetrievalID]) async throws(GantryError) -> Int {
        try checkWritable()
        let records = try EventLog.events(of: text, dimension: dimension, knownTools: knownTools, assumedModel: model,
                                          renamedRetrievals: renamedRetrievals).map { event in
            switch event {
            case .feedback(let event): EventRecord(event)
            case .execution(let event): EventRecord(event)
            }
        }
        guard !records.isEmpty else { return 0 }
        let lock = try await StoreFileLock.acquired(forStore: path, for: .import)
        defer { lock?.release() }
        // Holding the lock, an unfinished import of a file is abandoned; in memory, another
        // import of this process may be running (and none can have died).
        if path != nil { try Self.removeUnfinishedImports(database) }
        let id = UUID().uuidString
        try await write { db in
            try db.execute(sql: "INSERT INTO eventImport (id, startedAt, events) VALUES (?, ?, ?)",
                           arguments: [id, Date().timeIntervalSince1970, records.count])
        }
        do {
            var written = 0
            for batch in Self.importTransactions(records) {
                try await write { db in
                    var ids = [Int64]()
                    for var record in batch {
                        try Self.insert(&record, in: db)
                        ids.append(record.id!)
                    }
                    // One transaction holds the write lock, and ids only grow: its ids are one range.
                    try db.execute(sql: "INSERT INTO eventImportRange (importID, firstEvent, lastEvent) VALUES (?, ?, ?)",
                                   arguments: [id, ids.first!, ids.last!])
                }
                written += batch.count
                try importTransactionCommitted.withLock { $0 }?(written)
            }
            try await write { db in
                try db.execute(sql: "UPDATE eventImport SET finishedAt = ? WHERE id = ?", arguments: [Date().timeIntervalSince1970, id])
                try db.execute(sql: "DELETE FROM eventImportRange WHERE importID = ?", arguments: [id])
            }
        } catch {
            // Were the removal to fail too, the next import or open removes the rows.
            try? Self.removeImport(id, from: database)
            throw error
        }
        return records.count
    }

    /// `records` cut into transactions (`ImportTransactions`).
    static func importTransactions(_ records: [EventRecord]) -> [ArraySlice<EventRecord>] {
        ImportTransactions.cut(records) { 64 + ($0.queryVector?.count ?? 0) + ($0.columns.query?.utf8.count ?? 0) + 8 * ($0.queryTerms?.count ?? 0) }
    }

    /// Removes the imports that did not finish, if no process is importing into the store at
    /// `path` now (called at open); returns how many.
    static func removeAbandonedImports(_ database: DatabaseQueue, path: String) throws(GantryError) -> Int {
        let unfinished: Bool
        do { unfinished = try database.read { try hasUnfinishedImports($0) } } catch { throw .store("\(error)") }
        guard unfinished, let lock = try StoreFileLock.taken(forStore: path, for: .import, wait: false) else { return 0 }
        defer { lock.release() }
        return try removeUnfinishedImports(database)
    }

    /// Whether the store holds an import that did not finish.
    static func hasUnfinishedImports(_ db: Database) throws -> Bool {
        try db.tableExists("eventImport") && Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM eventImport WHERE finishedAt IS NULL)") == true
    }

    /// Removes every import that did not finish (the caller holds the `.import` lock); returns how many.
    @discardableResult
    static func removeUnfinishedImports(_ database: DatabaseQueue) throws(GantryError) -> Int {
        let unfinished: [String]
        do { unfinished = try database.read { try String.fetchAll($0, sql: "SELECT id FROM eventImport WHERE finishedAt IS NULL") } } catch {
            throw .store("\(error)")
        }
        for id in unfinished { try removeImport(id, from: database) }
        return unfinished.count
    }

    /// Deletes the events import `id` wrote, one transaction per range it wrote (each as short as
    /// the transaction that wrote it), withdrawing the adapter versions trained on them; then its row.
    static func removeImport(_ id: String, from database: DatabaseQueue) throws(GantryError) {
        do {
            let ranges = try database.read { db in
                try Row.fetchAll(db, sql: "SELECT rowid, firstEvent, lastEvent FROM eventImportRange WHERE importID = ? ORDER BY firstEvent",
                                 arguments: [id]).map { (rowid: $0[0] as Int64, first: $0[1] as Int64, last: $0[2] as Int64) }
            }
            for range in ranges {
                try database.write { db in
                    _ = try delete(EventRecord.filter(Column("id") >= range.first && Column("id") <= range.last), in: db)
                    try db.execute(sql: "DELETE FROM eventImportRange WHERE rowid = ?", arguments: [range.rowid])
                }
            }
            try database.write { try $0.execute(sql: "DELETE FROM eventImport WHERE id = ?", arguments: [id]) }
        } catch {
            throw .store("cannot remove the events of unfinished import \(id): \(error)")
        }
    }
}
