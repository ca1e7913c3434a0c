import Foundation
import GantryIndex
import GantryMath

extension AgentGantry {
    /// Records that for `query` the agent picked `selectedTool` and `correctTool` was right (or,
    /// with `.confirmed`, that the pick was right). Durable on return; the next query already
    /// uses it: asked again by `context`'s team, `query` gets `correctTool` first (unless it is
    /// filtered out or removed, or a later correction of `query` by the team names another tool);
    /// another team gets it first unless its own correction of `query` disagrees; similar queries
    /// get a boost that fades with distance. The query must be a valid one for `retrieveTools`
    /// (not blank, no NUL). The query is embedded on the caller's thread; the event is committed
    /// with the other events written meanwhile (group commit).
    public nonisolated func recordFeedback(query: String, selectedTool: String?, correctTool: String,
                                           feedbackType: FeedbackType = .toolSelectionError,
                                           context: RoutingContext = RoutingContext()) async throws(GantryError) {
        let correctTool = try Limits.toolName(correctTool)
        let selectedTool = try selectedTool.map { (name) throws(GantryError) in try Limits.toolName(name) }
        try Limits.checkQuery(query)
        let context = try Limits.normalized(context)
        let catalog = published.current.catalog
        guard catalog.contains(correctTool) else { throw .unknownTool(correctTool) }
        if let selectedTool, !catalog.contains(selectedTool) { throw .unknownTool(selectedTool) }
        let vector = try embed(query), redacted = Redaction.redact(query)
        let event = FeedbackEvent(id: 0, at: configuration.clock.now(), user: context.user, team: context.team, session: context.session,
                                  query: configuration.keepQueryText ? redacted : nil, queryVector: vector,
                                  selectedTool: selectedTool, correctTool: correctTool, type: feedbackType,
                                  model: embedder.modelIdentity, queryTerms: configuration.keepQueryText ? nil : ToolTokenizer.termHashes(redacted))
        try await caughtUp(through: try await writer.append(.feedback(event)))
    }

    /// Records how a call of `tool` ended (timeouts count as failures). Updates health, the
    /// circuit breaker and preferences; durable on return (committed with the other events
    /// written meanwhile: group commit).
    public nonisolated func recordExecution(tool: String, outcome: ExecutionOutcome, latency: Duration? = nil,
                                            context: RoutingContext = RoutingContext()) async throws(GantryError) {
        let tool = try Limits.toolName(tool)
        let context = try Limits.normalized(context)
        guard published.current.catalog.contains(tool) else { throw .unknownTool(tool) }
        guard outcome != .wrongTool else {
            throw .invalidInput("a wrong-tool outcome names the retrieval that offered the tool: "
                                + "recordExecution(retrieval:tool:outcome:latency:context:)")
        }
        let event = try executionEvent(tool: tool, outcome: outcome, latency: latency, context: context)
        try await caughtUp(through: try await writer.append(.execution(event)))
    }

    /// The execution event of a call of `tool` (checked, registered) that ended with `outcome`
    /// (not `.wrongTool`), attributed the intent of `context`'s session.
    nonisolated func executionEvent(tool: String, outcome: ExecutionOutcome, latency: Duration?,
                                    context: RoutingContext) throws(GantryError) -> ExecutionEvent {
        let milliseconds = latency?.milliseconds
        if let milliseconds { guard milliseconds.isFinite, milliseconds >= 0 else { throw .invalidInput("latency must be finite and not negative") } }
        return ExecutionEvent(id: 0, at: configuration.clock.now(), user: context.user, team: context.team, session: context.session,
                              tool: tool, outcome: outcome, latencyMilliseconds: milliseconds,
                              intent: context.session.flatMap { local.intent(ofSession: $0) })
    }

    /// The circuit-breaker state of `tool` now.
    public nonisolated func breakerState(of tool: String) async throws(GantryError) -> CircuitBreaker.State {
        let tool = try Limits.toolName(tool)
        let snapshot = published.current
        guard snapshot.catalog.contains(tool) else { throw .unknownTool(tool) }
        return snapshot.state.breakerState(of: tool, at: configuration.clock.now())
    }

    /// Deletes every stored event (feedback and executions) of `user` (in any Unicode
    /// normalization form), the user's retrieval records and reports, and everything learned
    /// from them; returns how many events. Every
    /// adapter version trained on the user's feedback is withdrawn (its file deleted,
    /// `adapterVersions()` says why), and before this returns the served adapter is the newest
    /// version that never saw those events, or the identity. It does not retrain (training is
    /// slow): the next `train()` trains without them, and a `train()` running meanwhile, here or
    /// in another process, discards its result. This process's query embedding cache is emptied
    /// (`queryCacheStatistics`; it keeps no text, but embeddings of recent queries, the user's
    /// among them), and every other process's as it applies the deletion of events.
    public func forget(user: String) async throws(GantryError) -> Int {
        let user = try Limits.name(user, "user")!
        queryCache.removeAll()
        recentRetrievals.removeAll(of: user)
        // None of the user's records may land after the deletion. (No suspension unless a commit
        // under way holds some: a forget's deletions run before anything else on the actor.)
        if writer.dropQueuedRecords(of: user) { await writer.barrier() }
        // Events first: a train() reading them meanwhile must see them go before it stores its result.
        let removed = try await store.deleteEvents(of: user)
        _ = try await store.deleteRetrievals(of: user)
        try await catchUp()
        return removed
    }

    /// Deletes the events older than `configuration.retentionDays` (none without it), with the
    /// same rule as `forget(user:)`: adapter versions that saw them are withdrawn and the served
    /// adapter falls back to one that did not.
    func purgeExpiredEvents() async throws(GantryError) {
        guard let days = configuration.retentionDays else { return }
        guard try await store.deleteEvents(before: configuration.clock.now().addingTimeInterval(-Double(days) * 86_400)) > 0 else { return }
        try await catchUp()
    }

    /// The event log (feedback and executions) as JSON lines, oldest first; with
    /// `includingRetrievals`, followed by the retrieval records and reports the store keeps
    /// (each distinct query's vector once; format in `EventLog`).
    public func exportEvents(includingRetrievals: Bool = false) async throws(GantryError) -> String {
        let events = try await store.exportEvents()
        guard includingRetrievals else { return events }
        let (records, reports) = try await store.retrievalLog()
        return events + (try EventLog.encode(records: records, reports: reports))
    }

    /// Appends events exported by `exportEvents` (all or nothing, in line order; tools must be
    /// registered and vectors of this model's dimension), then folds them into the learned state.
    /// Returns how many events. Every line is validated before anything is written; the store
    /// then writes in short transactions, so that other calls and processes keep writing
    /// meanwhile (a failed import removes what it wrote; see `SQLiteStore.importEvents`).
    /// Retrieval records and reports in the log (`exportEvents(includingRetrievals: true)`) are
    /// written under new retrieval ids: the records before the events (so that a process folding
    /// an execution finds the record it names; records alone teach nothing), the reports after
    /// them. Should the reports fail, the events stay imported and the error says so.
    public func importEvents(_ jsonLines: String) async throws(GantryError) -> Int {
        guard jsonLines.utf8.count <= Limits.importBytes else {
            throw .invalidInput("the event log has \(jsonLines.utf8.count) bytes; import at most \(Limits.importBytes) at once")
        }
        let knownTools = Set(catalog.names)
        let retrievals = try EventLog.retrievals(of: jsonLines, dimension: embedder.dimension, knownTools: knownTools)
        if !retrievals.records.isEmpty {  // every event line valid before a record is written
            _ = try EventLog.events(of: jsonLines, dimension: embedder.dimension, knownTools: knownTools, assumedModel: embedder.modelIdentity)
        }
        let renamed = try await renamedRetrievals(retrievals.records, retrievals.reports)
        try await importRetrievals(retrievals.records, [], renamed: renamed)
        let recorded = Set(retrievals.records.map(\.id))  // executions keep a retrieval only with its record
        let count = try await store.importEvents(jsonLines, dimension: embedder.dimension, knownTools: knownTools, model: embedder.modelIdentity,
                                                 renamedRetrievals: renamed.filter { recorded.contains($0.key) })
        do {
            try await importRetrievals([], retrievals.reports, renamed: renamed)
        } catch {
            try await catchUp()
            throw .store("the \(count) events and the retrieval records were imported, but not the reports: \(error)")
        }
        try await catchUp()
        return count
    }
}
