import Foundation
import GRDB

extension SQLiteStore {
    /// Inserts `record` (its id assigned unless set) and its query terms into `eventTerms`.
    static func insert(_ record: inout EventRecord, in db: Database) throws {
        try record.insert(db)
        guard let terms = record.queryTerms, let id = record.id else { return }
        try db.execute(sql: "INSERT OR REPLACE INTO eventTerms (event, terms) VALUES (?, ?)", arguments: [id, StoredTerms.data(terms)])
    }

    /// The stored query terms of the events of `records` (rowid first, ascending), by event id
    /// (none before expand step 3: a store opened read-only that no writer opened since).
    static func queryTerms(of records: [(rowid: Int64, record: EventRecord)], in db: Database) throws -> [Int64: [UInt64]] {
        guard let first = records.first?.rowid, let last = records.last?.rowid, first <= last, try db.tableExists("eventTerms") else { return [:] }
        var terms = [Int64: [UInt64]]()
        for row in try Row.fetchAll(db, sql: "SELECT event, terms FROM eventTerms WHERE event BETWEEN ? AND ?",
                                    arguments: [first, last]) {
            if let event = row["event"] as Int64?, let hashes = StoredTerms.hashes(row["terms"] as Data?) { terms[event] = hashes }
        }
        return terms
    }

    /// The events of `records` (rowid first), each with its stored query terms; the rows that do
    /// not decode are left out.
    static func eventsWithTerms(_ records: [(rowid: Int64, record: EventRecord)], in db: Database) throws -> [GantryEvent] {
        let terms = try queryTerms(of: records, in: db)
        return records.compactMap { try? $0.record.event(queryTerms: terms[$0.rowid]) }
    }
}
