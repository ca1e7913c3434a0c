import Foundation

/// Everything routing has learned from the event log, as a value: the feedback memory, intents
/// refined by feedback, failure rates and co-usage, preferences, and each tool's health and
/// circuit breaker. It is a function of the events folded (`apply(_:)`, in log order) and of the
/// catalogue (`assignIntent`, `removeTool`), and catalogue changes commute with events: a tool's
/// intent comes from the base intents, each intent's refinement is a sum over the corrections of
/// its tools, and executions and health are kept whether the tool is registered or not. So every
/// process that has read the same log and the same catalogue holds the same state, whatever order
/// it read them in; copies are snapshots. (Which retrievals were `half_open` probes is each
/// process's own: `LocalRoutingState`.)
struct LearnedState: Sendable {
    /// What the state is built with.
    struct Settings: Sendable {
        var dimension: Int
        /// The identity of the serving model: feedback whose query vector another model embedded
        /// is left out (counted in `otherModelFeedback`).
        var model: String
        var memory: FeedbackMemory.Settings
        /// How long a retrieval's record is kept (`GantryConfiguration.retrievalRetentionDays`):
        /// how long a success of its tool counts in the memory.
        var retrievalRetention: TimeInterval
        var breaker: BreakerPolicy
        /// Intents as built from example phrases (nil when the embedder cannot embed them).
        var baseIntents: IntentClassifier?
    }

    let settings: Settings
    private(set) var memory: FeedbackMemory
    /// The intents, refined by each correction towards its query.
    private(set) var intents: IntentClassifier?
    /// Each registered tool's intent (an index into `intents`), from the base intents.
    private(set) var toolIntents: [String: Int] = [:]
    /// The sum of the corrected queries naming each tool (this model's): what the tool's intent
    /// is refined by while the tool is registered.
    private var correctedQueries: [String: [Double]] = [:]
    private(set) var performance = PerformanceModel()
    private(set) var preferences = PreferenceModel()
    private(set) var health = ShardedDictionary<ToolHealth>()
    /// The tools whose breaker is not `closed` (only executions change that: time turns `open`
    /// into `half_open`, never into `closed`), so that a retrieval looks at these, not at every
    /// tool's health.
    private(set) var unclosedBreakers: Set<String> = []
    /// Feedback events left out because another model embedded their query.
    private(set) var otherModelFeedback = 0

    /// A state that has learned nothing yet.
    init(settings: Settings) throws(GantryError) {
        self.settings = settings
        memory = try FeedbackMemory(dimension: settings.dimension, settings: settings.memory)
        intents = settings.baseIntents
    }

    /// The state after folding `events` (in log order; `records` holds the retrievals they name
    /// that the store keeps) into a fresh one, with `previous`'s catalogue part (the tools' intents).
    init(replaying events: [GantryEvent], records: [RetrievalID: RetrievalRecord], settings: Settings,
         carryingOver previous: LearnedState? = nil) throws(GantryError) {
        try self.init(settings: settings)
        toolIntents = previous?.toolIntents ?? [:]
        for event in events { try apply(event, record: event.retrieval.flatMap { records[$0] }) }
    }

    /// Folds one event into the state; `record` is the retrieval it names (`GantryEvent.retrieval`),
    /// when the store keeps it.
    mutating func apply(_ event: GantryEvent, record: RetrievalRecord?) throws(GantryError) {
        switch event {
        case .feedback(let event): try apply(event)
        case .execution(let event):
            apply(event)
            if let record { try learnSuccess(event, of: record) }
        }
    }

    /// A success of a tool `record` offered vouches for it near the record's query, over the
    /// other tools the record shows, until the record's retention ends (`FeedbackMemory.addSuccess`).
    private mutating func learnSuccess(_ event: ExecutionEvent, of record: RetrievalRecord) throws(GantryError) {
        guard event.outcome == .success, event.retrieval == record.id, record.model == settings.model,
              record.queryVector.count == settings.dimension else { return }
        try memory.addSuccess(event: event.id, vector: record.queryVector,
                              entry: .init(correct: event.tool, at: event.at, team: event.team,
                                           expires: record.at.addingTimeInterval(settings.retrievalRetention),
                                           shown: record.shortlist.map(\.tool)))
    }

    private mutating func apply(_ event: FeedbackEvent) throws(GantryError) {
        guard event.model == settings.model, event.queryVector.count == settings.dimension else {
            otherModelFeedback += 1
            return
        }
        try memory.add(id: event.id, vector: event.queryVector,
                       entry: .init(correct: event.correctTool, wrong: event.wrongTool, at: event.at, team: event.team))
        let query = event.queryVector.map(Double.init)
        correctedQueries[event.correctTool, default: [Double](repeating: 0, count: settings.dimension)].add(query)
        if let intent = toolIntents[event.correctTool] { intents?.add(query, to: intent) }
        preferences.recordChoice(of: event.correctTool, user: event.user, team: event.team)
    }

    private mutating func apply(_ event: ExecutionEvent) {
        let policy = settings.breaker
        var state = health[event.tool] ?? ToolHealth()
        let success = event.outcome == .success
        state.record(success: success, latency: event.latencyMilliseconds, window: policy.window)
        state.breaker.record(success: success, windowFailureRate: state.failureRate, windowCalls: state.outcomes.count,
                             at: event.at, policy: policy)
        health[event.tool] = state
        if state.breaker.state == .closed { unclosedBreakers.remove(event.tool) } else { unclosedBreakers.insert(event.tool) }
        performance.record(tool: event.tool, intent: event.intent, success: success, session: event.session)
        if success { preferences.recordChoice(of: event.tool, user: event.user, team: event.team) }
    }

    // MARK: tools

    /// Gives a registered or changed tool its intent (from its tags, else its vector, by the base
    /// intents), moving the corrections of it to that intent.
    mutating func assignIntent(to tool: Tool, vector: [Float]) {
        setIntent(settings.baseIntents?.intent(ofTool: tool, vector: vector), of: tool.name)
    }

    /// Takes a removed tool's corrections out of its intent. Its health, breaker and the rest
    /// of what the log taught stay: they are the log's, and serve the tool if it comes back.
    mutating func removeTool(_ name: String) {
        setIntent(nil, of: name)
    }

    private mutating func setIntent(_ intent: Int?, of tool: String) {
        let old = toolIntents[tool]
        toolIntents[tool] = intent
        guard old != intent, let queries = correctedQueries[tool] else { return }
        if let old { intents?.add(queries, to: old, sign: -1) }
        if let intent { intents?.add(queries, to: intent) }
    }

    // MARK: the feedback memory's graphs

    /// Installs a graph built for `memory.graphJob()`; false when it no longer fits (the state was
    /// folded again from the log meanwhile). Searches change only by the graph's recall.
    mutating func installMemoryGraph(_ graph: SegmentGraph) -> Bool { memory.install(graph) }

    // MARK: queries

    /// The query's intent and confidence, when one is close and clear enough.
    func intent(of query: [Float]) -> QueryIntent? {
        guard let intents, let match = intents.classify(query) else { return nil }
        return QueryIntent(index: match.intent, name: intents.intents[match.intent].name, confidence: match.confidence)
    }

    /// The breaker of `tool` as of `now`.
    func breakerState(of tool: String, at now: Date) -> CircuitBreaker.State {
        health[tool]?.breaker.state(at: now, policy: settings.breaker) ?? .closed
    }

    /// The tools whose breaker is open at `now` (turning retrievals away whatever the probes) and
    /// those `half_open` (`probesAdmit(_:probes:)` decides), and the first moment after `now` at
    /// which an open one turns `half_open` (nil when none is open). Only events change this
    /// otherwise.
    func unclosedBreakers(at now: Date) -> (open: [String], halfOpen: [String], changesAt: Date?) {
        var open = [String](), halfOpen = [String](), changesAt: Date?
        for tool in unclosedBreakers {
            guard let breaker = health[tool]?.breaker else { continue }
            switch breaker.state(at: now, policy: settings.breaker) {
            case .closed: continue
            case .halfOpen: halfOpen.append(tool)
            case .open:
                open.append(tool)
                if let openedAt = breaker.openedAt {
                    let ends = openedAt.addingTimeInterval(settings.breaker.coolDown)
                    changesAt = min(changesAt ?? ends, ends)
                }
            }
        }
        return (open, halfOpen, changesAt)
    }

    /// Whether `tool`, `half_open`, may be handed out once more by a process whose probes are `probes`.
    func probesAdmit(_ tool: String, probes: ProbeBudget) -> Bool {
        guard let breaker = health[tool]?.breaker else { return true }
        return probes.admits(tool, breaker: breaker, policy: settings.breaker)
    }
}

extension [Double] {
    /// Adds `other` element by element.
    mutating func add(_ other: [Double]) {
        for i in indices { self[i] += other[i] }
    }
}
