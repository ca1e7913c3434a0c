import Foundation

/// Everything a store holds, as `GantryStore.contents()` reads it in one snapshot and
/// `GantryStore.restore(_:)` writes it into an empty store: the tools of every model with their
/// vectors, the event log with its ids, the adapter versions with their numbers (withdrawn ones
/// too), the quarantined rows, and the retrieval records (with their ids) and reports. Breakers are folded from the events, so they come with them.
/// Not included: the change log (a store's own numbering; the target logs what it restored),
/// write receipts and import records (bookkeeping of calls in flight).
@_spi(StoreImplementation) public struct StoreContents: Sendable {
    /// Every valid tool row, of every model, by name.
    public var tools: [StoredTool]
    /// The valid events, oldest first, with their ids.
    public var events: [GantryEvent]
    /// The highest event id the source ever handed out: ids of deleted events are never given
    /// again (an adapter version's `highestEventID` must keep meaning the events it saw).
    public var eventSequence: Int64
    /// The adapter versions, oldest first, with their version numbers.
    public var adapterVersions: [AdapterRecord]
    /// The quarantined rows with their content, oldest first.
    public var quarantine: [QuarantinedContent]
    /// Rows of the source that are not valid tools, events or adapter versions: left out of a
    /// copy (opening the source with an `AgentGantry` quarantines them).
    public var damaged: [QuarantinedRow]
    /// The retrieval records, by id, and the reports, in the source's order (they get new report ids).
    public var retrievals: [RetrievalRecord] = [], reports: [RetrievalReport] = []
    /// The highest block of retrieval ids the source reserved or its records use: the target
    /// reserves past it, so that its new ids never repeat a copied one.
    public var retrievalBlocks: Int64 = 0

    /// Contents as read.
    public init(tools: [StoredTool], events: [GantryEvent], eventSequence: Int64, adapterVersions: [AdapterRecord],
                quarantine: [QuarantinedContent], damaged: [QuarantinedRow]) {
        (self.tools, self.events, self.adapterVersions, self.quarantine, self.damaged) = (tools, events, adapterVersions, quarantine, damaged)
        self.eventSequence = max(eventSequence, events.last?.id ?? 0)
    }

    /// Adds the retrieval records and reports read from the source, and its count of reserved blocks.
    public mutating func addRetrievals(_ records: [RetrievalRecord], reports: [RetrievalReport], blocks: Int64) {
        (retrievals, self.reports) = (records, reports)
        retrievalBlocks = max(blocks, records.map { $0.id.rawValue >> 32 }.max() ?? 0, reports.map { $0.retrieval.rawValue >> 32 }.max() ?? 0)
    }
}

/// A quarantined row with its content (the row's columns as JSON, as the store that set it aside
/// wrote them).
@_spi(StoreImplementation) public struct QuarantinedContent: Sendable, Equatable {
    /// The table, key, reason and time.
    public var row: QuarantinedRow
    /// The row's columns as JSON.
    public var content: String

    /// A quarantined row and its content.
    public init(row: QuarantinedRow, content: String) {
        (self.row, self.content) = (row, content)
    }
}
