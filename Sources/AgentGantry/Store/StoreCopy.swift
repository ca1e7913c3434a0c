/// Copies a whole store into another, of the same kind or not (a SQLite file into PostgreSQL and
/// back): the tools of every model with their embeddings, the event log with its ids (so the
/// adapter versions' event ids keep their meaning, and breakers, folded from the events, come
/// with it), every adapter version with its number (withdrawn ones too), the quarantined rows, and
/// the retrieval records with their ids and the reports naming them.
/// `gantry store copy`, `backup` and `restore` use it.
///
/// The source is read in one snapshot (processes may keep writing it meanwhile; what they write
/// after the snapshot is not copied) and held in memory — about the size of its tools' and
/// feedback events' vectors. The target must hold nothing (a new store), and is written in one
/// transaction: a copy that fails or is killed leaves it empty.
/// Processes following the target see the restored tools and adapter at once.
public enum StoreCopy {
    /// Copies `source` into `target`; returns what was copied.
    ///
    /// - Throws: `GantryError.invalidInput` when `target` holds tools, events, adapter versions
    ///   or quarantined rows, or is the source; `GantryError.readOnlyStore` when it was opened
    ///   read-only; store errors.
    @discardableResult
    public static func copy(from source: any GantryStore, to target: any GantryStore) async throws(GantryError) -> StoreCopySummary {
        try target.checkWritable()
        guard source !== target, !(source.isShared && target.isShared && source.location == target.location) else {
            throw .invalidInput("\(source.location) is both the source and the target: a copy goes into another, new store")
        }
        let contents = try await source.contents()
        try await target.restore(contents)
        var summary = StoreCopySummary(tools: contents.tools.count, events: contents.events.count, adapterVersions: contents.adapterVersions.count,
                                       quarantinedRows: contents.quarantine.count, damagedRowsLeftOut: contents.damaged.count)
        (summary.retrievalRecords, summary.reports) = (contents.retrievals.count, contents.reports.count)
        return summary
    }
}

/// What `StoreCopy.copy(from:to:)` copied.
public struct StoreCopySummary: Sendable, Equatable, CustomStringConvertible {
    /// Tools (of every model).
    public var tools: Int
    /// Events (feedback and executions).
    public var events: Int
    /// Adapter versions, withdrawn ones included.
    public var adapterVersions: Int
    /// Quarantined rows.
    public var quarantinedRows: Int
    /// Rows of the source that are not valid tools, events or adapter versions, left out (opening
    /// the source with an `AgentGantry` quarantines them; copy again then to keep their content).
    public var damagedRowsLeftOut: Int
    /// Retrieval records and the reports naming retrievals.
    public var retrievalRecords = 0, reports = 0

    /// One line: the counts.
    public var description: String {
        "\(tools) tools, \(events) events, \(adapterVersions) adapter versions, \(quarantinedRows) quarantined rows, "
            + "\(retrievalRecords) retrieval records, \(reports) reports"
            + (damagedRowsLeftOut > 0 ? "; \(damagedRowsLeftOut) damaged rows left out (open the source with AgentGantry to quarantine them)" : "")
    }
}
