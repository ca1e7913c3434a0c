import GRDB

extension SQLiteStore {
    /// What a store holds, for operators (`gantry store info`).
    public struct Summary: Sendable, Equatable {
        /// The schema version the store is at (`user_version`): the contract steps applied.
        public var schemaVersion: Int
        /// The expand steps applied (steps that only add, which older versions read past; see
        /// "Operating a store" in the documentation).
        public var expandSteps: [Int]
        /// Stored tools (quarantined ones not counted).
        public var tools: Int
        /// Feedback events in the log.
        public var feedbackEvents: Int
        /// Execution events in the log.
        public var executionEvents: Int
        /// Stored adapter versions (the newest three are kept).
        public var adapterVersions: Int
        /// Adapter versions withdrawn because events they saw were deleted.
        public var withdrawnAdapterVersions: Int
        /// The version served to processes that open the store now (nil: the frozen embeddings).
        public var servedAdapterVersion: Int64?
        /// Rows set aside at open (`AgentGantry.quarantinedRows()`).
        public var quarantinedRows: Int
    }

    /// Counts of what the store holds, read in one transaction.
    public func summary() throws(GantryError) -> Summary {
        try read { db in
            func count(_ sql: String, _ arguments: StatementArguments = []) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
            return Summary(
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
