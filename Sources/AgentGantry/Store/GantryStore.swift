import Foundation

/// Where an `AgentGantry` keeps what it learns: the registered tools with their embeddings, the
/// event log (feedback and executions, in commit order), the records of retrievals and the
/// reports that name them, the change log processes follow, and the adapter versions. ``SQLiteStore`` is the store of one machine; a store shared by many
/// hosts implements the same protocol.
///
/// The requirements are the facade's contract with a store, behind the
/// `@_spi(StoreImplementation)` import: every write is one transaction, events get ids in commit
/// order, and every change is visible to `changes(after:model:dimension:eventLimit:)` of every
/// handle on the store. A new implementation proves it by passing the conformance suite
/// (`Sources/GantryStoreConformance`), which the SQLite store runs in `AgentGantryTests`.
public protocol GantryStore: AnyObject, Sendable {
    /// The store's location for messages: a file path, or a URL without its password.
    var location: String { get }
    /// Why the store was opened read-only, or nil: reads work, writes throw
    /// `GantryError.readOnlyStore` saying this.
    var readOnlyReason: String? { get }
    /// Whether other handles (other processes) may write the store, so that an `AgentGantry`
    /// follows it: false for a store in memory.
    var isShared: Bool { get }

    /// Takes the store's lock on opening (held while a process migrates, checks the model,
    /// embeds again and purges), or nil where the store needs none; the caller releases it.
    @_spi(StoreImplementation) func takeOpeningLock() async throws(GantryError) -> (any StoreOpeningLock)?
    /// Takes the lease `name` without waiting: held until released or until the process ends
    /// (then the next process may take it); nil while another process holds it. A store no other
    /// process can open (in memory) always grants it. A release takes effect when the store
    /// applies it: at once for a file lock, after a statement on the lock's own session for a
    /// database (a take right after another handle's release may still be refused).
    @_spi(StoreImplementation) func takeLease(_ name: String) async throws(GantryError) -> (any StoreOpeningLock)?
    /// The identity most of the stored tools were embedded by (`Embedder.modelIdentity`); nil
    /// without tools. Read before the embedder is chosen: the MiniLM encoder keeps a store's precision.
    @_spi(StoreImplementation) func servedModel() async throws(GantryError) -> String?
    /// Throws unless an embedder of `model` and `dimension` may serve the stored tools (the
    /// rules of "What opening checks" in the documentation).
    @_spi(StoreImplementation) func admit(model: String, dimension: Int, reembedOnModelChange: Bool) async throws(GantryError)

    // MARK: tools
    /// The stored tools that are valid for `model` and `dimension`, and the rows that are not.
    @_spi(StoreImplementation) func tools(model: String, dimension: Int) async throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow])
    /// Inserts or replaces tools with their vectors, in one transaction.
    @_spi(StoreImplementation) func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) async throws(GantryError)
    /// Deletes a tool.
    @_spi(StoreImplementation) func removeTool(_ name: String) async throws(GantryError)

    // MARK: events
    /// Appends events, retrieval records and reports in one transaction; the events' ids, then
    /// the reports', in order, once durable. A record whose id the store holds already is left
    /// as it was.
    @_spi(StoreImplementation) func appendEvents(_ events: [GantryEvent], records: [RetrievalRecord],
                                                 reports: [RetrievalReport]) async throws(GantryError) -> [Int64]
    /// The whole log, oldest first, and the rows that are not valid events.
    @_spi(StoreImplementation) func events() async throws(GantryError) -> (events: [GantryEvent], damaged: [QuarantinedRow])
    /// The valid feedback events, the highest event id and the feedback count, read together.
    @_spi(StoreImplementation) func feedbackEventsAndHighestID() async throws(GantryError) -> (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int)
    /// How many events are older than `date`.
    @_spi(StoreImplementation) func countEvents(before date: Date) async throws(GantryError) -> Int
    /// Deletes the events older than `date`, withdrawing in the same transaction every adapter
    /// version that saw one of them; returns how many.
    @_spi(StoreImplementation) func deleteEvents(before date: Date) async throws(GantryError) -> Int
    /// Deletes every event of `user` the same way; returns how many.
    @_spi(StoreImplementation) func deleteEvents(of user: String) async throws(GantryError) -> Int
    /// The log as JSON lines, oldest first.
    @_spi(StoreImplementation) func exportEvents() async throws(GantryError) -> String
    /// Appends the events of JSON lines as `exportEvents` writes them, all or nothing, in line
    /// order, validating every line first; other writers must not wait for the whole import
    /// (write it in bounded transactions, removing them if the import fails). An execution keeps
    /// its retrieval under the id `renamedRetrievals` gives it (`EventLog.events(of:…)`).
    @_spi(StoreImplementation) func importEvents(_ text: String, dimension: Int, knownTools: Set<String>, model: String,
                                                 renamedRetrievals: [RetrievalID: RetrievalID]) async throws(GantryError) -> Int

    // MARK: retrievals
    /// A positive number below 2³⁰ that no call of any handle on this store returned before: an
    /// opening's block of retrieval ids (`RetrievalID`).
    @_spi(StoreImplementation) func reserveRetrievalBlock() async throws(GantryError) -> Int64
    /// The records the store holds of the retrievals `ids`, by id (those it holds none of are left out).
    @_spi(StoreImplementation) func retrievalRecords(_ ids: [RetrievalID]) async throws(GantryError) -> [RetrievalRecord]
    /// Every retrieval record (by id) and report (in commit order) the store holds.
    @_spi(StoreImplementation) func retrievalLog() async throws(GantryError) -> (records: [RetrievalRecord], reports: [RetrievalReport])
    /// What training learns from the reports, read together: the records that some report names,
    /// every report, the highest report id and the count of reports.
    @_spi(StoreImplementation) func reportedRetrievals() async throws(GantryError) -> ReportedRetrievals
    /// Deletes the records and reports older than `date` (and what only they used); returns how many.
    @_spi(StoreImplementation) func deleteRetrievals(before date: Date) async throws(GantryError) -> Int
    /// Deletes every record and report of `user`, every report naming one of the user's records
    /// (whoever filed it), and what only they used, withdrawing in the same transaction every
    /// adapter version that learned from one of the deleted reports; returns how many.
    @_spi(StoreImplementation) func deleteRetrievals(of user: String) async throws(GantryError) -> Int

    // MARK: following
    /// Where the change log and the deletion count stand (`event` 0).
    @_spi(StoreImplementation) func changePosition() async throws(GantryError) -> LogPosition
    /// A value that changes when another handle commits, or nil when there is none to ask.
    @_spi(StoreImplementation) func changeCounter() async throws(GantryError) -> Int?
    /// A stream that yields when another handle may have committed (so that followers look at
    /// once rather than at their next `followInterval`), or nil for a store that cannot tell.
    @_spi(StoreImplementation) func changeNotifications() -> AsyncStream<Void>?
    /// Everything stored past `position`, read in one transaction.
    @_spi(StoreImplementation) func changes(after position: LogPosition, model: String, dimension: Int, eventLimit: Int) async throws(GantryError) -> StoreChanges

    // MARK: copies
    /// Everything the store holds, read in one snapshot (`StoreCopy`).
    @_spi(StoreImplementation) func contents() async throws(GantryError) -> StoreContents
    /// Writes `contents` into this store in one transaction, keeping event ids and adapter
    /// version numbers (later ones continue past them), and logs the change for followers.
    /// Throws `GantryError.invalidInput` when the store holds tools, events, adapter versions or
    /// quarantined rows.
    @_spi(StoreImplementation) func restore(_ contents: StoreContents) async throws(GantryError)

    // MARK: adapters and quarantine
    /// Every adapter version, newest first.
    @_spi(StoreImplementation) func adapterVersions() async throws(GantryError) -> [AdapterRecord]
    /// The newest version that has its file and saw no deleted event.
    @_spi(StoreImplementation) func servedAdapter() async throws(GantryError) -> AdapterRecord?
    /// The version of `servedAdapter()`, read without its file.
    @_spi(StoreImplementation) func servedAdapterVersion() async throws(GantryError) -> Int64?
    /// Stores a new version unless feedback or retrieval reports it trained on were deleted
    /// meanwhile (nil then): fewer than `feedbackCount` feedback events up to its
    /// `highestEventID`, or (when it learned from reports) fewer than `reportCount` reports up to
    /// its `highestRetrievalReportID` remain.
    @_spi(StoreImplementation) func saveAdapter(_ record: AdapterRecord, feedbackCount: Int, reportCount: Int) async throws(GantryError) -> Int64?
    /// The adapter rows that do not decode.
    @_spi(StoreImplementation) func damagedAdapters() async throws(GantryError) -> [QuarantinedRow]
    /// Moves damaged rows to quarantine, in one transaction.
    @_spi(StoreImplementation) func quarantine(_ rows: [QuarantinedRow]) async throws(GantryError)
    /// The quarantined rows, oldest first.
    @_spi(StoreImplementation) func quarantinedRows() async throws(GantryError) -> [QuarantinedRow]
}

extension GantryStore {
    /// Appends events in one transaction; their ids, in order, once durable.
    @_spi(StoreImplementation) public func appendEvents(_ events: [GantryEvent]) async throws(GantryError) -> [Int64] {
        try await appendEvents(events, records: [], reports: [])
    }

    /// None: followers look every `followInterval`.
    @_spi(StoreImplementation) public func changeNotifications() -> AsyncStream<Void>? { nil }

    /// Imports a log as `importEvents(_:dimension:knownTools:model:renamedRetrievals:)` does, its
    /// executions unlinked (no retrieval records come with it).
    @_spi(StoreImplementation) public func importEvents(_ text: String, dimension: Int, knownTools: Set<String>,
                                                        model: String) async throws(GantryError) -> Int {
        try await importEvents(text, dimension: dimension, knownTools: knownTools, model: model, renamedRetrievals: [:])
    }

    /// Whether the store was opened read-only (`readOnlyReason`).
    public var isReadOnly: Bool { readOnlyReason != nil }

    /// Throws `GantryError.readOnlyStore` when the store was opened read-only.
    @_spi(StoreImplementation) public func checkWritable() throws(GantryError) {
        guard let readOnlyReason else { return }
        throw .readOnlyStore("\(location) was opened read-only: \(readOnlyReason)")
    }
}

/// A store's lock on opening (`GantryStore.takeOpeningLock()`) or lease
/// (`GantryStore.takeLease(_:)`), held until released.
@_spi(StoreImplementation) public protocol StoreOpeningLock: AnyObject {
    /// Releases the lock.
    func release()
}

/// The lease of a store no other process can open: always granted.
@_spi(StoreImplementation) public final class UnsharedLease: StoreOpeningLock {
    /// A lease held by this process alone.
    public init() {}

    /// Nothing to release.
    public func release() {}
}
