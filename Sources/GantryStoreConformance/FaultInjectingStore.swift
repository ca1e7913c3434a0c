import Foundation
import Synchronization
@_spi(StoreImplementation) import AgentGantry

/// A ``GantryStore`` that passes every call to `base`, except that the writes armed with
/// `failWrites(_:)` throw `GantryError.store` instead of writing: what a full disk or a lost
/// server does to a write. Tests use it to show that a failed write leaves the facade as it was.
public final class FaultInjectingStore: GantryStore {
    /// The writes that can be made to fail.
    public enum Write: Sendable, Hashable {
        /// `saveTools(_:model:)`: registrations.
        case saveTools
        /// `removeTool(_:)`: removals.
        case removeTool
        /// `appendEvents(_:records:reports:)`: feedback, executions, retrieval records and reports.
        case appendEvents
    }

    private let base: any GantryStore
    private let failing = Mutex(Set<Write>())

    /// Wraps `base`; nothing fails until armed.
    public init(_ base: any GantryStore) {
        self.base = base
    }

    /// Makes `writes` fail from now on (an empty set: none).
    public func failWrites(_ writes: Set<Write>) {
        failing.withLock { $0 = writes }
    }

    private func check(_ write: Write) throws(GantryError) {
        if failing.withLock({ $0.contains(write) }) { throw .store("\(write) failed (injected)") }
    }

    /// The base store's location.
    public var location: String { base.location }
    /// The base store's reason, if read-only.
    public var readOnlyReason: String? { base.readOnlyReason }
    /// Whether the base store is shared.
    public var isShared: Bool { base.isShared }

    @_spi(StoreImplementation) public func takeOpeningLock() async throws(GantryError) -> (any StoreOpeningLock)? { try await base.takeOpeningLock() }
    @_spi(StoreImplementation) public func takeLease(_ name: String) async throws(GantryError) -> (any StoreOpeningLock)? { try await base.takeLease(name) }
    @_spi(StoreImplementation) public func servedModel() async throws(GantryError) -> String? { try await base.servedModel() }
    @_spi(StoreImplementation) public func admit(model: String, dimension: Int, reembedOnModelChange: Bool) async throws(GantryError) {
        try await base.admit(model: model, dimension: dimension, reembedOnModelChange: reembedOnModelChange)
    }
    @_spi(StoreImplementation) public func tools(model: String, dimension: Int) async throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        try await base.tools(model: model, dimension: dimension)
    }
    @_spi(StoreImplementation) public func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) async throws(GantryError) {
        try check(.saveTools)
        try await base.saveTools(tools, model: model)
    }
    @_spi(StoreImplementation) public func removeTool(_ name: String) async throws(GantryError) {
        try check(.removeTool)
        try await base.removeTool(name)
    }
    @_spi(StoreImplementation) public func appendEvents(_ events: [GantryEvent], records: [RetrievalRecord],
                                                        reports: [RetrievalReport]) async throws(GantryError) -> [Int64] {
        try check(.appendEvents)
        return try await base.appendEvents(events, records: records, reports: reports)
    }
    @_spi(StoreImplementation) public func reserveRetrievalBlock() async throws(GantryError) -> Int64 { try await base.reserveRetrievalBlock() }
    @_spi(StoreImplementation) public func retrievalRecords(_ ids: [RetrievalID]) async throws(GantryError) -> [RetrievalRecord] {
        try await base.retrievalRecords(ids)
    }
    @_spi(StoreImplementation) public func retrievalLog() async throws(GantryError) -> (records: [RetrievalRecord], reports: [RetrievalReport]) {
        try await base.retrievalLog()
    }
    @_spi(StoreImplementation) public func reportedRetrievals() async throws(GantryError) -> ReportedRetrievals { try await base.reportedRetrievals() }
    @_spi(StoreImplementation) public func deleteRetrievals(before date: Date) async throws(GantryError) -> Int {
        try await base.deleteRetrievals(before: date)
    }
    @_spi(StoreImplementation) public func deleteRetrievals(of user: String) async throws(GantryError) -> Int {
        try await base.deleteRetrievals(of: user)
    }
    @_spi(StoreImplementation) public func events() async throws(GantryError) -> (events: [GantryEvent], damaged: [QuarantinedRow]) { try await base.events() }
    @_spi(StoreImplementation) public func feedbackEventsAndHighestID() async throws(GantryError) -> (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int) {
        try await base.feedbackEventsAndHighestID()
    }
    @_spi(StoreImplementation) public func countEvents(before date: Date) async throws(GantryError) -> Int { try await base.countEvents(before: date) }
    @_spi(StoreImplementation) public func deleteEvents(before date: Date) async throws(GantryError) -> Int { try await base.deleteEvents(before: date) }
    @_spi(StoreImplementation) public func deleteEvents(of user: String) async throws(GantryError) -> Int { try await base.deleteEvents(of: user) }
    @_spi(StoreImplementation) public func exportEvents() async throws(GantryError) -> String { try await base.exportEvents() }
    @_spi(StoreImplementation) public func importEvents(_ text: String, dimension: Int, knownTools: Set<String>, model: String,
                                                        renamedRetrievals: [RetrievalID: RetrievalID]) async throws(GantryError) -> Int {
        try await base.importEvents(text, dimension: dimension, knownTools: knownTools, model: model, renamedRetrievals: renamedRetrievals)
    }
    @_spi(StoreImplementation) public func contents() async throws(GantryError) -> StoreContents { try await base.contents() }
    @_spi(StoreImplementation) public func restore(_ contents: StoreContents) async throws(GantryError) { try await base.restore(contents) }
    @_spi(StoreImplementation) public func changePosition() async throws(GantryError) -> LogPosition { try await base.changePosition() }
    @_spi(StoreImplementation) public func changeCounter() async throws(GantryError) -> Int? { try await base.changeCounter() }
    @_spi(StoreImplementation) public func changeNotifications() -> AsyncStream<Void>? { base.changeNotifications() }
    @_spi(StoreImplementation) public func changes(after position: LogPosition, model: String, dimension: Int,
                                                   eventLimit: Int) async throws(GantryError) -> StoreChanges {
        try await base.changes(after: position, model: model, dimension: dimension, eventLimit: eventLimit)
    }
    @_spi(StoreImplementation) public func adapterVersions() async throws(GantryError) -> [AdapterRecord] { try await base.adapterVersions() }
    @_spi(StoreImplementation) public func servedAdapter() async throws(GantryError) -> AdapterRecord? { try await base.servedAdapter() }
    @_spi(StoreImplementation) public func servedAdapterVersion() async throws(GantryError) -> Int64? { try await base.servedAdapterVersion() }
    @_spi(StoreImplementation) public func saveAdapter(_ record: AdapterRecord, feedbackCount: Int, reportCount: Int) async throws(GantryError) -> Int64? {
        try await base.saveAdapter(record, feedbackCount: feedbackCount, reportCount: reportCount)
    }
    @_spi(StoreImplementation) public func damagedAdapters() async throws(GantryError) -> [QuarantinedRow] { try await base.damagedAdapters() }
    @_spi(StoreImplementation) public func quarantine(_ rows: [QuarantinedRow]) async throws(GantryError) { try await base.quarantine(rows) }
    @_spi(StoreImplementation) public func quarantinedRows() async throws(GantryError) -> [QuarantinedRow] { try await base.quarantinedRows() }
}
