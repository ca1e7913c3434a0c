import GRDB

extension SQLiteStore {
    /// Counts of what the store holds, read in one transaction.
    public func summary() throws(GantryError) -> StoreSummary {
        try read { db in
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
            return StoreSummary(
                schemaVersion: try count("PRAGMA user_version"),
                expandSteps: try Self.appliedExpandSteps(db),
                tools: try count("SELECT COUNT(*) FROM tool"),
                feedbackEvents: try count("SELECT COUNT(*) FROM event WHERE kind = ?", [EventColumns.Kind.feedback]),
                executionEvents: try count("SELECT COUNT(*) FROM event WHERE kind = ?", [EventColumns.Kind.execution]),
                adapterVersions: try count("SELECT COUNT(*) FROM adapterVersion"),
                withdrawnAdapterVersions: try count("SELECT COUNT(*) FROM adapterVersion WHERE file IS NULL"),
                servedAdapterVersion: try Self.served.select(Column("version"), as: Int64.self).fetchOne(db),
                quarantinedRows: try count("SELECT COUNT(*) FROM quarantine"))
        }
    }
}
