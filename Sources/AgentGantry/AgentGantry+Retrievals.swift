import Foundation
import GantryIndex

/// Retrieval records and the reports that name them: what the agent did with a retrieval's
/// result, linked to its query and shortlist, for learning from every call.
extension AgentGantry {
    /// Records retrieval `id` of `text`, shown as `matches` (queued to the writer and kept among
    /// the recent ones; the writer redacts and rounds it before storing: `prepareForStore`).
    /// Nothing on a read-only store, which could keep no record nor any report naming one.
    nonisolated func record(_ id: RetrievalID, text: String, frozen: [Float], matches: [ToolMatch], swappedRank: Int?, context: RoutingContext) {
        guard keepsRetrievalRecords, !matches.isEmpty else { return }
        let now = configuration.clock.now()
        let record = RetrievalRecord(id: id, at: now, user: context.user, team: context.team, session: context.session, query: text,
                                     queryTerms: nil, queryVector: frozen, model: embedder.modelIdentity,
                                     shortlist: matches.map { RetrievalRecord.Shown(tool: $0.tool.name, score: Float($0.score)) },
                                     swappedRank: swappedRank)
        recentRetrievals.insert(record)
        writer.enqueue(record)
        if retrievalPurge.isDue(at: now) {
            let cutoff = configuration.retrievalCutoff(at: now)
            Task { [store] in _ = try? await store.deleteRetrievals(before: cutoff) }
        }
    }

    /// Whether retrievals are recorded: `recordsRetrievals`, on a store that can keep them.
    nonisolated var keepsRetrievalRecords: Bool { configuration.recordsRetrievals && !store.isReadOnly }

    /// `record` as the store keeps it: its query redacted and kept only with `keepQueryText`
    /// (else its term hashes), its vector in half precision. Records are made with the raw text
    /// (`record(_:text:frozen:matches:swappedRank:context:)`), so that redaction runs on the writer's
    /// thread, not the caller's.
    static func prepareForStore(_ record: RetrievalRecord, keepQueryText: Bool) -> RetrievalRecord {
        var stored = record
        guard let query = record.query else {  // read from a store: text and terms as kept there
            stored.queryVector = StoredRetrieval.rounded(record.queryVector)
            return stored
        }
        let redacted = Redaction.redact(query)
        stored.query = keepQueryText ? redacted : nil
        stored.queryTerms = keepQueryText ? nil : ToolTokenizer.termHashes(redacted)
        stored.queryVector = StoredRetrieval.rounded(record.queryVector)
        return stored
    }

    /// Retrieval records this process gave up since it opened: their commit failed (the store
    /// refused or was unreachable; the events committed with them were written without them),
    /// or more than `EventWriter.queuedRecordLimit` waited for a store that kept failing.
    public nonisolated var lostRetrievalRecords: Int { writer.lostRecords }

    /// The record of retrieval `id`: this process's, else the store's; nil when neither has one,
    /// or it is past `retrievalRetentionDays` (as if the purge had run).
    nonisolated func retrievalRecord(_ id: RetrievalID) async throws(GantryError) -> RetrievalRecord? {
        let cutoff = configuration.retrievalCutoff(at: configuration.clock.now())
        let record: RetrievalRecord?
        if let recent = recentRetrievals.record(id) { record = recent } else { record = try await store.retrievalRecords([id]).first }
        return record.flatMap { $0.at < cutoff ? nil : $0 }
    }

    /// The records of the retrievals that the successes among `events` name
    /// (`ExecutionEvent.retrieval`), which the learned state folds with them: this process's,
    /// else the store's (`GantryStore.retrievalRecords(_:)`); past `retrievalRetentionDays` or
    /// deleted ones are left out.
    func linkedRecords(of events: [GantryEvent]) async throws(GantryError) -> [RetrievalID: RetrievalRecord] {
        var records = [RetrievalID: RetrievalRecord](), missing = [RetrievalID]()
        for case .execution(let event) in events where event.outcome == .success {
            guard let id = event.retrieval, records[id] == nil else { continue }
            guard var recent = recentRetrievals.record(id) else {
                missing.append(id)
                continue
            }
            recent.queryVector = StoredRetrieval.rounded(recent.queryVector)  // as every other process reads it from the store
            records[id] = recent
        }
        if !missing.isEmpty {
            for record in try await store.retrievalRecords(missing) { records[record.id] = record }
        }
        return records
    }

    /// Records that the agent selected `tool` from the result of retrieval `retrieval` (stored
    /// for learning from every call; it changes no ranking yet). Durable on return. The user, team and session are the retrieval's (those of `context`
    /// take precedence). A retrieval whose record is not found — expired, lost in a crash, or not
    /// yet committed by the process that ran it — leaves the report stored but unlinked.
    public nonisolated func recordSelection(retrieval: RetrievalID, tool: String,
                                            context: RoutingContext = RoutingContext()) async throws(GantryError) {
        let (report, _) = try await report(retrieval, tool: tool, signal: .selection, context: context)
        _ = try await writer.append(event: nil, report: report)
    }

    /// Records how a call of `tool`, offered by retrieval `retrieval`, ended: a success,
    /// failure or timeout also goes into the event log (health, the breaker and preferences, as
    /// `recordExecution(tool:outcome:latency:context:)`), both in one transaction, naming the
    /// retrieval (`ExecutionEvent.retrieval`): a success teaches the feedback memory at once, in
    /// every process, near the retrieval's query; `.wrongTool` — the tool cannot do this request —
    /// only teaches routing and leaves health alone. Durable on return. A retrieval whose record
    /// is not found leaves the report and the execution unlinked (it counts for health all the same).
    public nonisolated func recordExecution(retrieval: RetrievalID, tool: String, outcome: ExecutionOutcome, latency: Duration? = nil,
                                            context: RoutingContext = RoutingContext()) async throws(GantryError) {
        let (report, linked) = try await report(retrieval, tool: tool, signal: RetrievalReport.Signal(outcome), context: context)
        let linkedContext = RoutingContext(user: report.user, team: report.team, session: report.session)
        var event = outcome == .wrongTool ? nil : try executionEvent(tool: report.tool, outcome: outcome, latency: latency, context: linkedContext)
        if linked { event?.retrieval = retrieval }
        let id = try await writer.append(event: event.map(GantryEvent.execution), report: report)
        if event != nil { try await caughtUp(through: id) }
    }

    /// Records a correction (or, with `.confirmed`, a confirmation) of the result of retrieval
    /// `retrieval`, as `recordFeedback(query:selectedTool:correctTool:feedbackType:context:)`
    /// does for its query — without sending or embedding the query again: the retrieval's record
    /// gives it. Throws `GantryError.unknownRetrieval` when no record of the retrieval is found
    /// (then report with the query).
    public nonisolated func recordFeedback(retrieval: RetrievalID, selectedTool: String?, correctTool: String,
                                           feedbackType: FeedbackType = .toolSelectionError,
                                           context: RoutingContext = RoutingContext()) async throws(GantryError) {
        let correctTool = try Limits.toolName(correctTool)
        let selectedTool = try selectedTool.map { (name) throws(GantryError) in try Limits.toolName(name) }
        let context = try Limits.normalized(context)
        let catalog = published.current.catalog
        guard catalog.contains(correctTool) else { throw .unknownTool(correctTool) }
        if let selectedTool, !catalog.contains(selectedTool) { throw .unknownTool(selectedTool) }
        guard let record = try await retrievalRecord(retrieval) else { throw .unknownRetrieval(retrieval) }
        let stored = Self.prepareForStore(record, keepQueryText: configuration.keepQueryText)
        let event = FeedbackEvent(id: 0, at: configuration.clock.now(), user: context.user ?? record.user, team: context.team ?? record.team,
                                  session: context.session ?? record.session, query: stored.query, queryVector: record.queryVector,
                                  selectedTool: selectedTool, correctTool: correctTool, type: feedbackType,
                                  model: record.model, queryTerms: stored.queryTerms)
        try await caughtUp(through: try await writer.append(.feedback(event)))
    }

    /// A report of `signal` about `tool` on `retrieval`, its user, team and session those of
    /// `context`, else the retrieval's; and whether the retrieval's record was found (the report
    /// is linked): this process's records are queued before the report and committed with or
    /// before it, and the store's are committed, so an event written with the report may name it.
    private nonisolated func report(_ retrieval: RetrievalID, tool: String, signal: RetrievalReport.Signal,
                                    context: RoutingContext) async throws(GantryError) -> (report: RetrievalReport, linked: Bool) {
        let tool = try Limits.toolName(tool)
        let context = try Limits.normalized(context)
        guard published.current.catalog.contains(tool) else { throw .unknownTool(tool) }
        let record = try await retrievalRecord(retrieval)
        let report = RetrievalReport(id: 0, at: configuration.clock.now(), retrieval: retrieval, tool: tool, signal: signal,
                                     user: context.user ?? record?.user, team: context.team ?? record?.team,
                                     session: context.session ?? record?.session)
        return (report, record != nil)
    }

    /// The ids under which imported records and reports are written: ids of a block reserved for
    /// them (the log's ids may be taken in this store), the records' first, in order, then those
    /// of the reports' retrievals that have no record. Empty when there are none.
    func renamedRetrievals(_ records: [RetrievalRecord], _ reports: [RetrievalReport]) async throws(GantryError) -> [RetrievalID: RetrievalID] {
        guard !records.isEmpty || !reports.isEmpty else { return [:] }
        let block = try await store.reserveRetrievalBlock()
        var renamed = [RetrievalID: RetrievalID]()
        for id in records.map(\.id) + reports.map(\.retrieval) where renamed[id] == nil {
            renamed[id] = RetrievalID(block: block, counter: UInt32(renamed.count + 1))
        }
        return renamed
    }

    /// Writes imported records and reports under the ids `renamed` gives them
    /// (`renamedRetrievals(_:_:)`), a report's retrieval renamed with its record, in transactions
    /// of `EventWriter.batchLimit`.
    func importRetrievals(_ records: [RetrievalRecord], _ reports: [RetrievalReport], renamed: [RetrievalID: RetrievalID]) async throws(GantryError) {
        guard !records.isEmpty || !reports.isEmpty else { return }
        let keepQueryText = configuration.keepQueryText
        let records = records.map { record in
            var record = Self.prepareForStore(record, keepQueryText: keepQueryText)  // as this store keeps queries
            record.id = renamed[record.id]!
            return record
        }
        let reports = reports.map { report in
            var report = report
            report.retrieval = renamed[report.retrieval]!
            return report
        }
        let limit = EventWriter.batchLimit
        for start in stride(from: 0, to: max(records.count, reports.count), by: limit) {
            _ = try await store.appendEvents([], records: Array(records.dropFirst(start).prefix(limit)), reports: Array(reports.dropFirst(start).prefix(limit)))
        }
    }
}
