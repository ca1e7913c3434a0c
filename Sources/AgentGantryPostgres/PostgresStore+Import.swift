import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// Appends the events of JSON lines (as `exportEvents` writes them), all or nothing, in line
    /// order, in transactions (`ImportTransactions`), so that other writers wait for one such
    /// transaction at most.
    /// As in the SQLite store, each import has a row in `event_import` and, until it finishes,
    /// the id ranges its transactions wrote: an import that fails removes what it wrote, and one
    /// whose process died is removed by the next import or the next open. Imports take turns
    /// (a session lock, so across hosts too).
    @_spi(StoreImplementation) public func importEvents(_ text: String, dimension: Int, knownTools: Set<String>, model: String,
                                                        renamedRetrievals: [RetrievalID: RetrievalID]) async throws(GantryError) -> Int {
        try checkWritable()
        let events = try EventLog.events(of: text, dimension: dimension, knownTools: knownTools, assumedModel: model,
                                         renamedRetrievals: keepsRetrievals ? renamedRetrievals : [:])
        let rows = events.map(Self.row)
        guard !rows.isEmpty else { return 0 }
        let lock = try await PostgresSessionLock.taken(.import, client: client, location: location, logger: logger)
        defer { lock?.release() }
        try await removeUnfinishedImports()  // holding the lock: abandoned
        let id = UUID(), logger = logger, count = rows.count
        try await withConnection("import events into") { connection, _ in
            _ = try await connection.query("""
                INSERT INTO event_import (id, started_at, events) VALUES (\(id), \(Date().timeIntervalSince1970), \(count)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        do {
            let batches = ImportTransactions.cut(rows) { 64 + 4 * ($0.queryVector?.count ?? 0) + ($0.columns.query?.utf8.count ?? 0) + 8 * ($0.queryTerms?.count ?? 0) }
            for batch in batches {
                let insertion = try Self.insertion(of: Array(batch), terms: keepsQueryTerms)
                // A transaction whose connection is lost mid-way is not run again (its outcome is
                // unknown): the import fails and removes what it wrote.
                try await transaction("import events into", retry: .untilSent) { connection in
                    var last: Int64 = 0, inserted = 0
                    for try await (id, n) in try await connection.query(insertion, logger: logger).decode((Int64?, Int).self) {
                        (last, inserted) = (id ?? 0, n)
                    }
                    guard inserted == batch.count else { throw GantryError.store("\(inserted) of \(batch.count) events were inserted") }
                    try await Self.insertLinks(of: events[batch.indices], ids: (last - Int64(inserted) + 1)..., on: connection, logger: logger)
                    try await connection.query("""
                        INSERT INTO event_import_range (import_id, first_event, last_event) VALUES (\(id), \(last - Int64(inserted) + 1), \(last))
                        """, logger: logger)
                }
            }
            try await transaction("import events into") { connection in
                try await connection.query("UPDATE event_import SET finished_at = \(Date().timeIntervalSince1970) WHERE id = \(id)", logger: logger)
                try await connection.query("DELETE FROM event_import_range WHERE import_id = \(id)", logger: logger)
            }
        } catch {
            try? await removeImport(id)  // were this to fail too, the next import or open removes the rows
            throw error
        }
        return count
    }

    /// Removes the imports that did not finish when no process is importing (called at open).
    func removeAbandonedImports() async throws(GantryError) {
        guard try await !unfinishedImports().isEmpty,
              let lock = try await PostgresSessionLock.taken(.import, client: client, location: location, logger: logger, wait: false) else { return }
        defer { lock.release() }
        try await removeUnfinishedImports()
    }

    private func unfinishedImports() async throws(GantryError) -> [UUID] {
        let logger = logger
        return try await withConnection("read the imports of") { connection, _ in
            var ids = [UUID]()
            for try await id in try await connection.query("SELECT id FROM event_import WHERE finished_at IS NULL", logger: logger).decode(UUID.self) {
                ids.append(id)
            }
            return ids
        }
    }

    /// Removes every import that did not finish (the caller holds the import lock).
    private func removeUnfinishedImports() async throws(GantryError) {
        for id in try await unfinishedImports() { try await removeImport(id) }
    }

    /// Deletes the events import `id` wrote, one transaction per range it wrote, withdrawing the
    /// adapter versions trained on them (`deleteEvents(where:_:)`); then its row.
    private func removeImport(_ id: UUID) async throws(GantryError) {
        let logger = logger
        let ranges = try await withConnection("remove an unfinished import from") { connection, _ in
            var ranges = [(first: Int64, last: Int64)]()
            for try await (first, last) in try await connection.query(
                "SELECT first_event, last_event FROM event_import_range WHERE import_id = \(id) ORDER BY first_event", logger: logger)
                .decode((Int64, Int64).self) {
                ranges.append((first, last))
            }
            return ranges
        }
        for range in ranges {
            try await transaction("remove an unfinished import from") { connection in
                var binds = PostgresBindings()
                binds.append(range.first)
                binds.append(range.last)
                _ = try await Self.deleteEvents(connection, where: "id BETWEEN $1 AND $2", binds, logger: logger)
                try await connection.query("DELETE FROM event_import_range WHERE import_id = \(id) AND first_event = \(range.first)", logger: logger)
            }
        }
        try await withConnection("remove an unfinished import from") { connection, _ in
            _ = try await connection.query("DELETE FROM event_import WHERE id = \(id)", logger: logger)
        }
    }
}
