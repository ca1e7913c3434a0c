import Foundation
import GRDB

/// What the store keeps of an event beside its row in `event` (whose columns older versions
/// check exactly): a feedback event's query terms in `eventTerms`, an execution's retrieval in
/// `eventRetrieval`, each deleted with its event by a trigger.
extension SQLiteStore {
    /// What `eventTerms` and `eventRetrieval` hold for some events, by event id.
    struct EventSideRows {
        var terms = [Int64: [UInt64]]()
        var retrievals = [Int64: RetrievalID]()
    }

    /// Inserts `record` (its id assigned unless set), its query terms into `eventTerms` and its
    /// retrieval into `eventRetrieval` (a store that no writer of this version opened yet has no
    /// such table: the link is not kept there).
    static func insert(_ record: inout EventRecord, in db: Database) throws {
        try record.insert(db)
        guard let id = record.id else { return }
        if let terms = record.queryTerms {
            try db.execute(sql: "INSERT OR REPLACE INTO eventTerms (event, terms) VALUES (?, ?)", arguments: [id, StoredTerms.data(terms)])
        }
        if let retrieval = record.retrieval, try db.tableExists("eventRetrieval") {
            try db.execute(sql: "INSERT OR REPLACE INTO eventRetrieval (event, retrieval) VALUES (?, ?)", arguments: [id, retrieval.rawValue])
        }
    }

    /// The side rows of the events of `records` (rowid first, ascending) (none before expand
    /// steps 3 and 6: a store opened read-only that no writer opened since).
    static func sideRows(of records: [(rowid: Int64, record: EventRecord)], in db: Database) throws -> EventSideRows {
        var rows = EventSideRows()
        guard let first = records.first?.rowid, let last = records.last?.rowid, first <= last else { return rows }
        if try db.tableExists("eventTerms") {
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT event, terms FROM eventTerms WHERE event BETWEEN ? AND ?"),
                                        arguments: [first, last]) {
                if let event = row["event"] as Int64?, let hashes = StoredTerms.hashes(row["terms"] as Data?) { rows.terms[event] = hashes }
            }
        }
        if try db.tableExists("eventRetrieval") {
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT event, retrieval FROM eventRetrieval WHERE event BETWEEN ? AND ?"),
                                        arguments: [first, last]) {
                if let event = row["event"] as Int64?, let retrieval = (row["retrieval"] as Int64?).flatMap(RetrievalID.init(rawValue:)) {
                    rows.retrievals[event] = retrieval
                }
            }
        }
        return rows
    }

    /// The events of `records` (rowid first), each with its side rows; the rows that do not
    /// decode are left out.
    static func eventsWithSideRows(_ records: [(rowid: Int64, record: EventRecord)], in db: Database) throws -> [GantryEvent] {
        let side = try sideRows(of: records, in: db)
        return records.compactMap { try? $0.record.event(queryTerms: side.terms[$0.rowid], retrieval: side.retrievals[$0.rowid]) }
    }
}
