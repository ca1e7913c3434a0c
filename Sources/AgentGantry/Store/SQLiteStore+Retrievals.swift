import Foundation
import GRDB

/// Retrieval records and reports (expand steps 4 and 5): `retrieval` rows name their context
/// (`retrievalContext`: user, team, session) and query (`retrievalQuery`: model, half-precision
/// vector, kept text or term hashes), both kept once however many retrievals share them, and
/// hold their shortlist as `StoredRetrieval` pairs over `retrievalTool`'s numbers;
/// `retrievalReport` rows are the reports, in commit order. Contexts and queries carry the time
/// of their latest use, so that retention deletes them once no record needs them.
extension SQLiteStore {
    /// The first block of retrieval ids no handle reserved before (`storeMeta.retrievalBlocks`).
    @_spi(StoreImplementation) public func reserveRetrievalBlock() async throws(GantryError) -> Int64 {
        let block: Int64 = try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO storeMeta (key, value) VALUES ('retrievalBlocks', 0)")
            try db.execute(sql: "UPDATE storeMeta SET value = value + 1 WHERE key = 'retrievalBlocks'")
            return try Int64.fetchOne(db, sql: "SELECT value FROM storeMeta WHERE key = 'retrievalBlocks'") ?? 0
        }
        guard (1..<Int64(1 << 30)).contains(block) else { throw .store("\(location) has handed out every block of retrieval ids") }
        return block
    }

    /// Writes `records` (one whose id is stored already is left as it was) and `reports`
    /// (their ids assigned here, returned in order), in the caller's transaction.
    static func insert(records: [RetrievalRecord], reports: [RetrievalReport], in db: Database) throws -> [Int64] {
        var tools = [String: Int64]()
        func toolNumber(_ name: String) throws -> Int64 {
            if let number = tools[name] { return number }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO retrievalTool (name) VALUES (?)").execute(arguments: [name])
            let number = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM retrievalTool WHERE name = ?"), arguments: [name])!
            tools[name] = number
            return number
        }
        // Each distinct context of the batch written once, with its latest use.
        var latestUse = [ContextKey: Double]()
        for (key, at) in records.map({ (ContextKey(user: $0.user, team: $0.team, session: $0.session), $0.at) })
            + reports.map({ (ContextKey(user: $0.user, team: $0.team, session: $0.session), $0.at) }) {
            latestUse[key] = max(latestUse[key] ?? -.infinity, at.timeIntervalSince1970)
        }
        var contexts = [ContextKey: Int64]()
        for (key, at) in latestUse {
            if let found = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM retrievalContext WHERE user IS ? AND team IS ? AND session IS ?"),
                                              arguments: [key.user, key.team, key.session]) {
                try db.cachedStatement(sql: "UPDATE retrievalContext SET lastUsed = MAX(lastUsed, ?) WHERE id = ?").execute(arguments: [at, found])
                contexts[key] = found
            } else {
                try db.cachedStatement(sql: "INSERT INTO retrievalContext (user, team, session, lastUsed) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [key.user, key.team, key.session, at])
                contexts[key] = db.lastInsertedRowID
            }
        }
        for record in records {
            let at = record.at.timeIntervalSince1970
            let half = StoredRetrieval.halfData(record.queryVector)
            let queryKey = StoredRetrieval.queryKey(model: record.model, halfVector: half, query: record.query, terms: record.queryTerms)
            try db.cachedStatement(sql: """
                INSERT INTO retrievalQuery (id, model, vector, query, terms, lastUsed) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET lastUsed = MAX(lastUsed, excluded.lastUsed)
                """).execute(arguments: [queryKey, record.model, half, record.query, record.queryTerms.map(StoredTerms.data), at])
            let context = contexts[ContextKey(user: record.user, team: record.team, session: record.session)]!
            var shortlist = [(tool: Int64, score: Float)]()
            for shown in record.shortlist { shortlist.append((try toolNumber(shown.tool), shown.score)) }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO retrieval (id, at, context, query, shortlist, swapped) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [record.id.rawValue, at, context, queryKey, StoredRetrieval.shortlistData(shortlist), record.swappedRank])
        }
        var ids = [Int64]()
        for report in reports {
            let context = contexts[ContextKey(user: report.user, team: report.team, session: report.session)]!
            try db.cachedStatement(sql: "INSERT INTO retrievalReport (at, retrieval, tool, signal, context) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [report.at.timeIntervalSince1970, report.retrieval.rawValue, report.tool, report.signal.rawValue, context])
            ids.append(db.lastInsertedRowID)
        }
        return ids
    }

    /// The record of retrieval `id`, or nil when the store holds none (expired, deleted, never
    /// committed, or its row does not decode).
    @_spi(StoreImplementation) public func retrievalRecords(_ ids: [RetrievalID]) async throws(GantryError) -> [RetrievalRecord] {
        guard !ids.isEmpty else { return [] }
        return try await read { db in
            guard try db.tableExists("retrieval") else { return [] }
            var records = [RetrievalRecord]()
            for chunk in ids.chunked(500) {  // well below SQLite's limit of bound parameters
                records += try Self.readRecords(db, where: "r.id IN (" + Array(repeating: "?", count: chunk.count).joined(separator: ", ") + ")",
                                                StatementArguments(chunk.map(\.rawValue)))
            }
            return records
        }
    }

    /// Every retrieval record (by id) and report (in commit order) the store holds; rows that
    /// do not decode are left out.
    @_spi(StoreImplementation) public func retrievalLog() async throws(GantryError) -> (records: [RetrievalRecord], reports: [RetrievalReport]) {
        try await read { db in
            guard try db.tableExists("retrieval") else { return ([], []) }
            return (try Self.readRecords(db, where: "1", []), try Self.readReports(db))
        }
    }

    /// The records some report names, every report, the highest report id and their count, in
    /// one snapshot; rows that do not decode are left out (and counted). Read on the caller's
    /// thread, as `feedbackEventsAndHighestID()`, so that `train()` reads both without a suspension between.
    @_spi(StoreImplementation) public func reportedRetrievals() throws(GantryError) -> ReportedRetrievals {
        try read { db in
            guard try db.tableExists("retrieval") else { return .none }
            return ReportedRetrievals(records: try Self.readRecords(db, where: "r.id IN (SELECT retrieval FROM retrievalReport)", []),
                                      reports: try Self.readReports(db),
                                      highestReportID: try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(id), 0) FROM retrievalReport") ?? 0,
                                      reportCount: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM retrievalReport") ?? 0)
        }
    }

    static func readRecords(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [RetrievalRecord] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT r.id, r.at, r.shortlist, r.swapped, c.user, c.team, c.session, q.model, q.vector, q.query, q.terms
                FROM retrieval r JOIN retrievalContext c ON c.id = r.context JOIN retrievalQuery q ON q.id = r.query
                WHERE \(condition) ORDER BY r.id
            """, arguments: arguments)
        // Every column read leniently (a value of another type reads as absent, and the row is
        // then left out), so that a damaged row never stops a read.
        let shortlists = rows.map { Self.value($0, "shortlist").flatMap(StoredRetrieval.shortlistEntries) }
        let names = try toolNames(Set(shortlists.flatMap { $0?.map(\.tool) ?? [] }), in: db)
        return zip(rows, shortlists).compactMap { row, entries -> RetrievalRecord? in
            guard let id = Self.value(row, "id").flatMap(RetrievalID.init(rawValue:)), let at: Double = Self.value(row, "at"),
                  let model: String = Self.value(row, "model"), let half: Data = Self.value(row, "vector"),
                  let vector = StoredRetrieval.floats(half: half), !vector.isEmpty, let entries else { return nil }
            var shortlist = [RetrievalRecord.Shown]()
            for entry in entries {
                guard let name = names[entry.tool] else { return nil }
                shortlist.append(RetrievalRecord.Shown(tool: name, score: entry.score))
            }
            return RetrievalRecord(id: id, at: Date(timeIntervalSince1970: at), user: Self.value(row, "user"), team: Self.value(row, "team"),
                                   session: Self.value(row, "session"), query: Self.value(row, "query"),
                                   queryTerms: StoredTerms.hashes(Self.value(row, "terms")).flatMap { $0.isEmpty ? nil : $0 },
                                   queryVector: vector, model: model, shortlist: shortlist,
                                   swappedRank: StoredRetrieval.swappedRank(Self.value(row, "swapped"), shortlist: shortlist.count))
        }
    }

    /// The value of `column` as `T`, or nil when it is NULL or of another type.
    static func value<T: DatabaseValueConvertible>(_ row: Row, _ column: String) -> T? {
        T.fromDatabaseValue(row[column] as DatabaseValue)
    }

    /// The names of the tool numbers `numbers` (`retrievalTool`): only those, so that reading one
    /// record (a report's lookup) does not read every name.
    static func toolNames(_ numbers: Set<Int64>, in db: Database) throws -> [Int64: String] {
        var names = [Int64: String]()
        let sorted = numbers.sorted()
        for start in stride(from: 0, to: sorted.count, by: 500) {
            let chunk = Array(sorted[start..<min(start + 500, sorted.count)])
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM retrievalTool WHERE id IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                        arguments: StatementArguments(chunk)) {
                names[row["id"]] = row["name"]
            }
        }
        return names
    }

    static func readReports(_ db: Database) throws -> [RetrievalReport] {
        try Row.fetchAll(db, sql: """
            SELECT p.id, p.at, p.retrieval, p.tool, p.signal, c.user, c.team, c.session
                FROM retrievalReport p JOIN retrievalContext c ON c.id = p.context ORDER BY p.id
            """).compactMap { row -> RetrievalReport? in
            guard let id: Int64 = Self.value(row, "id"), let retrieval = Self.value(row, "retrieval").flatMap(RetrievalID.init(rawValue:)),
                  let at: Double = Self.value(row, "at"), let tool: String = Self.value(row, "tool"),
                  let signal = Self.value(row, "signal").flatMap(RetrievalReport.Signal.init(rawValue:)) else { return nil }
            return RetrievalReport(id: id, at: Date(timeIntervalSince1970: at), retrieval: retrieval, tool: tool, signal: signal,
                                   user: Self.value(row, "user"), team: Self.value(row, "team"), session: Self.value(row, "session"))
        }
    }

    /// Deletes the records and reports older than `date`, and the contexts and queries no
    /// remaining one uses; returns how many records and reports.
    @_spi(StoreImplementation) public func deleteRetrievals(before date: Date) async throws(GantryError) -> Int {
        let cutoff = date.timeIntervalSince1970
        // Read first: an open with nothing to purge writes nothing.
        let expired = try await read { db in
            try db.tableExists("retrieval")
                && (try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM retrieval WHERE at < ?) OR EXISTS (SELECT 1 FROM retrievalReport WHERE at < ?)",
                                      arguments: [cutoff, cutoff]) ?? false)
        }
        guard expired else { return 0 }
        return try await write { db in
            try db.execute(sql: "DELETE FROM retrieval WHERE at < ?", arguments: [cutoff])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM retrievalReport WHERE at < ?", arguments: [cutoff])
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM retrievalQuery WHERE lastUsed < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM retrievalContext WHERE lastUsed < ?", arguments: [cutoff])
            return removed
        }
    }

    /// Deletes every record and report of `user` and every report naming one of the user's
    /// records, with the user's contexts and the queries no other record uses, withdrawing in
    /// the same transaction every adapter version that learned from one of those reports;
    /// returns how many records and reports.
    @_spi(StoreImplementation) public func deleteRetrievals(of user: String) async throws(GantryError) -> Int {
        // Read first: a user without records costs no write.
        let held = try await read { db in
            try db.tableExists("retrievalContext")
                && (try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM retrievalContext WHERE user = ?)", arguments: [user]) ?? false)
        }
        guard held else { return 0 }
        let removed: Int = try await write { db in
            let contexts = "(SELECT id FROM retrievalContext WHERE user = ?)"
            // The user's reports, and every report naming one of the user's retrievals (whoever
            // filed it: training learns the record's query from it).
            let reports = "retrievalReport WHERE context IN \(contexts) OR retrieval IN (SELECT id FROM retrieval WHERE context IN \(contexts))"
            let queries = try Int64.fetchAll(db, sql: "SELECT DISTINCT query FROM retrieval WHERE context IN \(contexts)", arguments: [user])
            // Adapter versions that learned from one of those reports are withdrawn with them.
            if let lowest = try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM \(reports)", arguments: [user, user]) {
                for var adapter in try AdapterRecord.filter(sql: "file IS NOT NULL").fetchAll(db) {
                    adapter.withdraw(forgettingReportsFrom: lowest)
                    if adapter.file == nil { try adapter.update(db) }
                }
            }
            try db.execute(sql: "DELETE FROM \(reports)", arguments: [user, user])
            var removed = db.changesCount
            try db.execute(sql: "DELETE FROM retrieval WHERE context IN \(contexts)", arguments: [user])
            removed += db.changesCount
            for chunk in stride(from: 0, to: queries.count, by: 500) {
                let ids = queries[chunk..<min(chunk + 500, queries.count)]
                try db.execute(sql: "DELETE FROM retrievalQuery WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ","))) "
                               + "AND id NOT IN (SELECT query FROM retrieval)", arguments: StatementArguments(Array(ids)))
            }
            try db.execute(sql: "DELETE FROM retrievalContext WHERE user = ?", arguments: [user])
            // Counted as a deletion, so that every process following the store drops the records it
            // holds in memory (`AgentGantry+Following`), the user's among them.
            if removed > 0 { try db.execute(sql: "UPDATE storeMeta SET value = value + 1 WHERE key = 'deletedEvents'") }
            return removed
        }
        try eraseWriteAheadLog()  // the deleted pages' old images too (`forget(user:)`)
        return removed
    }

    /// A context's key (`retrievalContext`).
    struct ContextKey: Hashable {
        var user: String?, team: String?, session: String?
    }
}
