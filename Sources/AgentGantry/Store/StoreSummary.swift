/// What a store holds, for operators (`gantry store info`): `SQLiteStore.summary()`,
/// `PostgresStore.summary()`.
public struct StoreSummary: Sendable, Equatable {
    /// The schema version the store is at (the contract steps applied).
    public var schemaVersion: Int
    /// The expand steps applied (steps that only add, which older versions read past; see
    /// "Operating a store" in the documentation); none in a store that has no such steps.
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

    /// A summary as a store counted it.
    public init(schemaVersion: Int, expandSteps: [Int], tools: Int, feedbackEvents: Int, executionEvents: Int, adapterVersions: Int,
                withdrawnAdapterVersions: Int, servedAdapterVersion: Int64?, quarantinedRows: Int) {
        (self.schemaVersion, self.expandSteps, self.tools, self.feedbackEvents, self.executionEvents) =
            (schemaVersion, expandSteps, tools, feedbackEvents, executionEvents)
        (self.adapterVersions, self.withdrawnAdapterVersions, self.servedAdapterVersion, self.quarantinedRows) =
            (adapterVersions, withdrawnAdapterVersions, servedAdapterVersion, quarantinedRows)
    }
}
