/// What `train()` reads to learn from retrieval reports (`GantryStore.reportedRetrievals()`),
/// in one snapshot: the records some report names, the reports, and where the report log stood
/// (so that `saveAdapter(_:feedbackCount:reportCount:)` can tell whether one was deleted meanwhile).
@_spi(StoreImplementation) public struct ReportedRetrievals: Sendable {
    /// The records that at least one report names, by id.
    public var records: [RetrievalRecord]
    /// Every report, in commit order (unlinked ones too: `records` tells them apart).
    public var reports: [RetrievalReport]
    /// The highest report id stored (0 when there is none).
    public var highestReportID: Int64
    /// How many reports there were.
    public var reportCount: Int

    /// The snapshot of `records`, `reports`, the highest report id and the count.
    public init(records: [RetrievalRecord], reports: [RetrievalReport], highestReportID: Int64, reportCount: Int) {
        (self.records, self.reports, self.highestReportID, self.reportCount) = (records, reports, highestReportID, reportCount)
    }

    /// None (a store without retrieval tables).
    public static let none = ReportedRetrievals(records: [], reports: [], highestReportID: 0, reportCount: 0)
}
