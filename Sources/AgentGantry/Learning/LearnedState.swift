import Foundation

/// Everything routing has learned from the event log, as a value: the feedback memory, intents
/// refined by feedback, failure rates and co-usage, preferences, and each tool's health and
/// circuit breaker. It changes only by folding events (`apply(_:)`) in log order, so the state of
/// any process is `LearnedState(replaying:)` of the log it has read; copies are snapshots.
///
/// Breakers are the exception to "a function of the log": they also depend on the time a
/// retrieval hands out a `half_open` tool (a probe), which is counted in this process's memory
/// only (`admitProbe`), and their states are stored beside the log (`GantryStore.saveBreaker`).
struct LearnedState: Sendable {
    /// What the state is built with.
    struct Settings: Sendable {
        var dimension: Int
        /// The identity of the serving model: feedback whose query vector another model embedded
        /// is left out (counted in `otherModelFeedback`).
        var model: String
        var memory: FeedbackMemory.Settings
        var breaker: BreakerPolicy
        /// Intents as built from example phrases (nil when the embedder cannot embed them).
        var baseIntents: IntentClassifier?
    }

    let settings: Settings
    private(set) var memory: FeedbackMemory
    /// The intents, refined by each correction towards its query.
    private(set) var intents: IntentClassifier?
    /// Each tool's intent (an index into `intents`), assigned when the tool is registered.
    private(set) var toolIntents: [String: Int] = [:]
    private(set) var performance = PerformanceModel()
    private(set) var preferences = PreferenceModel()
    private(set) var health: [String: ToolHealth] = [:]
    /// Feedback events left out because another model embedded their query.
    private(set) var otherModelFeedback = 0

    /// A state that has learned nothing yet.
    init(settings: Settings) throws(GantryError) {
        self.settings = settings
        memory = try FeedbackMemory(dimension: settings.dimension, settings: settings.memory)
        intents = settings.baseIntents
    }

    /// The state after folding `events` (in log order) into a fresh one. Tool intents and breaker
    /// states are carried over from `previous` (they are not functions of the log).
    init(replaying events: [GantryEvent], settings: Settings, carryingOver previous: LearnedState? = nil) throws(GantryError) {
        try self.init(settings: settings)
        toolIntents = previous?.toolIntents ?? [:]
        for event in events { try apply(event) }
        for (tool, state) in previous?.health ?? [:] { health[tool, default: ToolHealth()].breaker = state.breaker }
    }

    /// Folds one event into the state.
    mutating func apply(_ event: GantryEvent) throws(GantryError) {
        switch event {
        case .feedback(let event): try apply(event)
        case .execution(let event): apply(event)
        }
    }

    private mutating func apply(_ event: FeedbackEvent) throws(GantryError) {
        guard event.model == settings.model, event.queryVector.count == settings.dimension else {
            otherModelFeedback += 1
            return
        }
        try memory.add(id: event.id, vector: event.queryVector,
                       entry: .init(correct: event.correctTool, wrong: event.wrongTool, at: event.at, team: event.team))
        if let intent = toolIntents[event.correctTool] { intents?.refine(intent, with: event.queryVector) }
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
        performance.record(tool: event.tool, intent: event.intent, success: success, session: event.session)
        if success { preferences.recordChoice(of: event.tool, user: event.user, team: event.team) }
    }

    // MARK: tools

    /// Assigns a newly registered or changed tool its intent (from its tags, else its vector).
    mutating func assignIntent(to tool: Tool, vector: [Float]) {
        toolIntents[tool.name] = intents?.intent(ofTool: tool, vector: vector)
    }

    /// Forgets a removed tool's intent and health.
    mutating func removeTool(_ name: String) {
        toolIntents[name] = nil
        health[name] = nil
    }

    /// Sets a tool's breaker as the store holds it (at open).
    mutating func restoreBreaker(_ breaker: CircuitBreaker, of tool: String) {
        health[tool, default: ToolHealth()].breaker = breaker
    }

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

    /// Tools whose breaker turns retrievals away at `now`.
    func blockedTools(at now: Date) -> [String] {
        health.compactMap { $0.value.breaker.admits(at: now, policy: settings.breaker) ? nil : $0.key }
    }

    /// Counts a `half_open` tool handed out by a retrieval as a probe (in this process's memory).
    mutating func admitProbe(of tool: String, at now: Date) {
        guard health[tool]?.breaker.state(at: now, policy: settings.breaker) == .halfOpen else { return }
        _ = health[tool]!.breaker.admit(at: now, policy: settings.breaker)
    }
}
