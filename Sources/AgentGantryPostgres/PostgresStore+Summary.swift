import Foundation
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// Counts of what the store holds, read in one snapshot (no expand steps: the schema has none).
    public func summary() async throws(GantryError) -> StoreSummary {
        let logger = logger
        return try await transaction("read the summary of", readOnly: true) { connection in
            var counts = [Int64]()
            let rows = try await connection.query(PostgresQuery(unsafeSQL: """
                SELECT (SELECT value FROM gantry_meta WHERE key = 'schema_version'), (SELECT count(*) FROM tool),
                       (SELECT count(*) FROM event WHERE kind = 'feedback'), (SELECT count(*) FROM event WHERE kind = 'execution'),
                       (SELECT count(*) FROM adapter_version), (SELECT count(*) FROM adapter_version WHERE file IS NULL),
                       (SELECT count(*) FROM quarantine), coalesce((SELECT version FROM adapter_version \(Self.served) LIMIT 1), 0)
                """), logger: logger)
            for try await row in rows.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                counts = [row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7]
            }
            guard counts.count == 8 else { throw GantryError.store("the store has no schema version row") }
            let c = counts.map(Int.init)
            return StoreSummary(schemaVersion: c[0], expandSteps: [], tools: c[1], feedbackEvents: c[2], executionEvents: c[3],
                                adapterVersions: c[4], withdrawnAdapterVersions: c[5], servedAdapterVersion: counts[7] == 0 ? nil : counts[7],
                                quarantinedRows: c[6])
        }
    }
}
