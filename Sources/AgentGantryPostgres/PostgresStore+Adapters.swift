import Foundation
import Logging
import PostgresNIO
import Synchronization
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    @_spi(StoreImplementation) public func adapterVersions() async throws(GantryError) -> [AdapterRecord] {
        let logger = logger
        return try await withConnection("read the adapter versions of") { connection, _ in
            try await Self.adapterRecords(connection, "ORDER BY version DESC", logger: logger)
        }
    }

    @_spi(StoreImplementation) public func servedAdapter() async throws(GantryError) -> AdapterRecord? {
        let logger = logger
        return try await withConnection("read the served adapter of") { connection, _ in
            try await Self.adapterRecords(connection, Self.served + " LIMIT 1", logger: logger).first
        }
    }

    @_spi(StoreImplementation) public func servedAdapterVersion() async throws(GantryError) -> Int64? {
        let logger = logger
        return try await withConnection("read the served adapter of") { connection, _ in
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
    @_spi(StoreImplementation) public func saveAdapter(_ record: AdapterRecord, feedbackCount: Int, reportCount: Int) async throws(GantryError) -> Int64? {
        let logger = logger, keeps = keepsRetrievals
        let version = try await receiptedTransaction("store an adapter in") { connection in
            // No deletion commits between the count and the insert.
            try await PostgresSchema.lockDeletions(connection, logger: logger)
            let counted = try await connection.query(
                "SELECT count(*) FROM event WHERE kind = 'feedback' AND id <= \(record.highestEventID)", logger: logger)
            var remaining = 0
            for try await count in counted.decode(Int.self) { remaining = count }
            guard remaining == feedbackCount else { return 0 }
            if let highest = record.highestRetrievalReportID {
                var reports = 0
                if keeps {
                    for try await count in try await connection.query("SELECT count(*) FROM retrieval_report WHERE id <= \(highest)", logger: logger)
                        .decode(Int.self) { reports = count }
                }
                guard reports == reportCount else { return 0 }
            }
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
        return version == 0 ? nil : version  // versions start at 1
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
        return try await withConnection("read the quarantine of") { connection, _ in
            var rows = [QuarantinedRow]()
            for try await (source, key, reason, at) in try await connection
                .query("SELECT source, key, reason, at FROM quarantine ORDER BY id", logger: logger).decode((String, String, String, Double).self) {
                rows.append(QuarantinedRow(table: source, key: key, reason: reason, at: Date(timeIntervalSince1970: at)))
            }
            return rows
        }
    }
}
