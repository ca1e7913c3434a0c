import Foundation
import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath

/// Tool routing that learns from use. Register tools, ask for the right ones for a request,
/// and tell it what was wrong or how calls went; it adapts at once (feedback memory, health,
/// preferences) and, on `train()`, folds the stored feedback into a low-rank adapter.
///
/// Retrieval: embed the query → adapter → index candidates (`candidateMultiplier × limit`) →
/// filters (namespace, tags, deprecated, open circuit breakers) → weighted signals (semantic,
/// feedback, health, preference, intent, performance, co-usage) → MMR over the adapted vectors → the top `limit` above
/// the threshold. Everything learned is in the store and survives a restart.
public actor AgentGantry {
    public let configuration: GantryConfiguration
    public nonisolated let embedder: any Embedder
    let store: GantryStore

    struct Registered: Sendable {
        var tool: Tool
        /// Frozen embedding of `tool.embeddingText`.
        var vector: [Float]
    }

    var registry: [String: Registered] = [:]
    /// Names of deprecated tools (kept in step with the registry).
    var deprecatedTools: Set<String> = []
    var adapter: LowRankAdapter?
    var index: ToolIndex
    var memory: FeedbackMemory
    var health: [String: ToolHealth] = [:]
    /// Intents as built from the example phrases, and as refined by feedback since (nil when the
    /// embedder cannot embed the phrases, e.g. a precomputed one without fallback).
    let baseIntents: IntentClassifier?
    var intents: IntentClassifier?
    var toolIntents: [String: Int] = [:]
    var performance = PerformanceModel()
    /// The intent of each session's last routed request (attributed to the executions that follow).
    var sessionIntents = RecentSessions<String>()
    /// Counts of chosen tools per user and per team (from feedback and successful executions).
    var userChoices: [String: [String: Double]] = [:], teamChoices: [String: [String: Double]] = [:]

    /// Opens the store (`configuration.storePath`), loads the model (or uses `embedder`), and
    /// restores tools, adapter, feedback memory, health and preferences.
    public init(configuration: GantryConfiguration = GantryConfiguration(), embedder: (any Embedder)? = nil) async throws(GantryError) {
        try configuration.validate()
        self.configuration = configuration
        do {
            self.embedder = try embedder ?? MiniLMEncoder(directory: configuration.modelDirectory)
        } catch {
            throw .embedding("\(error)")
        }
        guard Limits.dimensions.contains(self.embedder.dimension) else {
            throw .embedding("the embedder's dimension \(self.embedder.dimension) is outside \(Limits.dimensions)")
        }
        store = try GantryStore(path: configuration.storePath)
        memory = try FeedbackMemory(dimension: self.embedder.dimension, settings: configuration.feedbackMemory)
        let embedder = self.embedder
        baseIntents = try? IntentClassifier(examples: IntentClassifier.defaultExamples) { try embedder.embed($0) }
        intents = baseIntents
        index = try ToolIndex(dimension: self.embedder.dimension, hnsw: false)
        if let days = configuration.retentionDays {
            _ = try store.deleteEvents(before: Date().addingTimeInterval(-Double(days) * 86_400))
        }
        try restore()
    }

    // MARK: registry

    /// The registered tools, by name.
    public var tools: [Tool] { registry.values.map(\.tool).sorted { $0.name < $1.name } }

    /// Registers or updates one tool; searchable on return.
    public func register(_ tool: Tool) throws(GantryError) {
        try register([tool])
    }

    /// Registers or updates tools, all or nothing: validated, embedded (only those whose content
    /// fingerprint changed, in one batch), stored in one transaction, then indexed.
    public func register(_ tools: [Tool]) throws(GantryError) {
        for tool in tools { try tool.validate() }
        guard Set(tools.map(\.name)).count == tools.count else { throw .invalidInput("a tool name appears twice in one registration") }
        let added = tools.count { registry[$0.name] == nil }
        guard registry.count + added <= Limits.tools else {
            throw .invalidInput("registering \(added) new tools would exceed the limit of \(Limits.tools) (\(registry.count) registered)")
        }
        let changed = tools.filter { tool in registry[tool.name].map { $0.tool.fingerprint != tool.fingerprint } ?? true }
        var vectors = [String: [Float]]()
        if !changed.isEmpty {
            let matrix: Matrix
            do { matrix = try embedder.embed(changed.map(\.embeddingText)) } catch { throw .embedding("\(error)") }
            guard matrix.rows == changed.count else { throw .embedding("the embedder returned \(matrix.rows) vectors for \(changed.count) texts") }
            for (i, tool) in changed.enumerated() {
                let vector = Array(matrix.row(i))
                try Limits.checkVector(vector, dimension: embedder.dimension, "the embedding of tool \(tool.name)")
                vectors[tool.name] = vector
            }
        }
        let entries = tools.map { (tool: $0, vector: vectors[$0.name] ?? registry[$0.name]!.vector) }
        try store.saveTools(entries, model: embedder.modelIdentity)  // durable first, in one transaction
        for (tool, vector) in entries {
            registry[tool.name] = Registered(tool: tool, vector: vector)
            if tool.deprecated { deprecatedTools.insert(tool.name) } else { deprecatedTools.remove(tool.name) }
            toolIntents[tool.name] = intents?.intent(ofTool: tool, vector: vector)
            try index.upsert(tool.name, try adaptedToolVector(tool.name, vector))
        }
        try rebalanceIndexIfNeeded()
    }

    /// Removes a tool (its events stay in the log).
    public func remove(_ name: String) throws(GantryError) {
        guard registry[name] != nil else { throw .unknownTool(name) }
        try store.removeTool(name)
        registry[name] = nil
        deprecatedTools.remove(name)
        health[name] = nil
        toolIntents[name] = nil
        try index.remove(name)
    }

    // MARK: retrieval

    /// The best `limit` tools for `query`, each with its score breakdown.
    public func retrieveTools(_ query: String, limit: Int = 5, context: RoutingContext = RoutingContext()) throws(GantryError) -> [ToolMatch] {
        guard (1...100).contains(limit) else { throw .invalidInput("limit must be in 1...100, got \(limit)") }
        try Limits.checkQuery(query)
        try Limits.check(context)
        guard !registry.isEmpty else { return [] }
        let frozen = try embed(query)
        return try rank(frozen: frozen, limit: limit, context: context)
    }

    func rank(frozen: [Float], limit: Int, context: RoutingContext) throws(GantryError) -> [ToolMatch] {
        let now = Date()
        let q = try adapter.map { (a) throws(GantryError) in try adaptError { () throws(AdaptError) in try a.adaptQuery(frozen) } } ?? frozen
        let policy = configuration.breaker
        // Tools no query may get: deprecated ones and those whose breaker is open. Without a
        // namespace or tag restriction the filter is just this (usually empty) set, so the index
        // does no per-node work for the common case.
        var blocked = Set(deprecatedTools.map { VectorID.name($0) })
        for (name, state) in health where !state.breaker.admits(at: now, policy: policy) { blocked.insert(.name(name)) }
        let snapshot = registry, excluded = blocked
        let admits: @Sendable (VectorID) -> Bool = { id in
            guard !excluded.contains(id), case .name(let name) = id, let tool = snapshot[name]?.tool else { return false }
            if let namespace = context.namespace, tool.namespace != namespace { return false }
            return context.tags.isEmpty || !context.tags.isDisjoint(with: tool.tags)
        }
        let restricted = context.namespace != nil || !context.tags.isEmpty
        let filter: SearchFilter? = restricted ? .matching(admits) : blocked.isEmpty ? nil : .matching { !excluded.contains($0) }
        let pool = max(20, limit * configuration.candidateMultiplier)
        var candidates = try index.search(q, k: pool, filter: filter)
        guard !candidates.isEmpty else { return [] }
        // A tool the feedback memory vouches for competes even when the index did not return it:
        // a correction must be able to lift the correct tool from below the candidate pool.
        let feedback = try memory.signals(for: frozen, at: now, team: context.team)
        let vouched = feedback.filter { $0.value > 0 }.keys.sorted()
        if !vouched.isEmpty {
            let pooled = Set(candidates.map(\.id))
            for name in vouched {
                let id = VectorID.name(name)
                guard !pooled.contains(id), admits(id), let vector = index.vector(of: name) else { continue }
                let cosine = (try? SIMDKernels.dot(q, vector)).map { $0 / (SIMDKernels.norm(q) * SIMDKernels.norm(vector)) } ?? 0
                candidates.append(SearchResult(id: id, score: cosine))
            }
        }
        let queryIntent = intents?.classify(frozen)
        let intentName = queryIntent.map { intents!.intents[$0.intent].name }
        if let session = context.session, let intentName { sessionIntents[session] = intentName }
        let budget = context.latencyBudget.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        let weights = configuration.weights.normalised
        let topSemantic = Double(candidates.map(\.score).max()!)
        // Preferences only reorder tools that are relevant already (close to the best match), and
        // compare the user's and team's past choices among those tools only.
        let relevant = candidates.compactMap { hit -> String? in
            guard case .name(let name) = hit.id, Double(hit.score) >= topSemantic - 0.15 else { return nil }
            return name
        }
        let preferences = preferenceShares(among: relevant, context: context)
        var scored = [(name: String, score: Double, breakdown: ScoreBreakdown)]()
        for hit in candidates {
            guard case .name(let name) = hit.id else { continue }
            var b = ScoreBreakdown()
            b.semantic = Double(hit.score)
            b.feedback = feedback[name] ?? 0
            b.health = health[name]?.successRate ?? 0.9
            if let queryIntent, toolIntents[name] == queryIntent.intent { b.intent = queryIntent.confidence }
            b.performance = 0.5 * PerformanceModel.latencyFit(p95: health[name]?.p95Latency, budget: budget)
                + 0.5 * (1 - performance.failureRate(tool: name, intent: intentName))
            b.coUsage = performance.coUsage(tool: name, session: context.session, vocabulary: registry.count)
            b.preference = preferences[name] ?? 0
            let score = weights.semantic * b.semantic + weights.feedback * b.feedback + weights.health * b.health
                + weights.preference * b.preference + weights.intent * b.intent + weights.performance * b.performance
                + weights.coUsage * b.coUsage
            scored.append((name, score, b))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
        var chosen = try diversify(scored, limit: limit)
        if let threshold = configuration.scoreThreshold { chosen.removeAll { $0.score < threshold } }
        // Half-open tools handed out count as probes.
        for match in chosen where health[match.name]?.breaker.state(at: now, policy: policy) == .halfOpen {
            _ = health[match.name]!.breaker.admit(at: now, policy: policy)
            try store.saveBreaker(match.name, health[match.name]!.breaker)
        }
        return chosen.map { ToolMatch(tool: registry[$0.name]!.tool, score: $0.score, breakdown: $0.breakdown) }
    }

    /// Maximal marginal relevance: repeatedly take the candidate maximising
    /// λ·score − (1 − λ)·(highest cosine to a tool already taken), over the adapted vectors.
    private func diversify(_ scored: [(name: String, score: Double, breakdown: ScoreBreakdown)], limit: Int) throws(GantryError)
        -> [(name: String, score: Double, breakdown: ScoreBreakdown)]
    {
        let lambda = configuration.mmrLambda
        guard lambda < 1, scored.count > 1 else { return Array(scored.prefix(limit)) }
        let vectors = scored.map { index.vector(of: $0.name) ?? [] }
        var taken = [Int](), remaining = Array(scored.indices)
        while taken.count < limit, !remaining.isEmpty {
            var best = remaining[0], bestValue = -Double.infinity
            for i in remaining {
                var redundancy = 0.0
                for j in taken { redundancy = max(redundancy, Double(zip(vectors[i], vectors[j]).reduce(0) { $0 + $1.0 * $1.1 })) }
                let value = lambda * scored[i].score - (1 - lambda) * redundancy
                if value > bestValue { (best, bestValue) = (i, value) }
            }
            taken.append(best)
            remaining.removeAll { $0 == best }
        }
        return taken.map { scored[$0] }
    }

    /// For each of `tools`, the share of the user's (or team's, whichever is larger) past choices
    /// among these tools that went to it, smoothed: count / (choices among them + smoothing). So a
    /// few events move little, and a team that always picks Slack over e-mail prefers Slack.
    private func preferenceShares(among tools: [String], context: RoutingContext) -> [String: Double] {
        func shares(_ counts: [String: Double]?) -> [String: Double] {
            guard let counts else { return [:] }
            let total = tools.reduce(0) { $0 + (counts[$1] ?? 0) }
            guard total > 0 else { return [:] }
            return Dictionary(uniqueKeysWithValues: tools.map { ($0, (counts[$0] ?? 0) / (total + configuration.preferenceSmoothing)) })
        }
        let user = context.user.map { shares(userChoices[$0]) } ?? [:]
        let team = context.team.map { shares(teamChoices[$0]) } ?? [:]
        return user.merging(team) { max($0, $1) }
    }

    // MARK: learning

    /// Records that for `query` the agent picked `selectedTool` and `correctTool` was right (or,
    /// with `.confirmed`, that the pick was right). Durable on return; the next query already
    /// uses it.
    public func recordFeedback(query: String, selectedTool: String?, correctTool: String,
                               feedbackType: FeedbackType = .toolSelectionError,
                               context: RoutingContext = RoutingContext()) throws(GantryError) {
        guard registry[correctTool] != nil else { throw .unknownTool(correctTool) }
        if let selectedTool, registry[selectedTool] == nil { throw .unknownTool(selectedTool) }
        try Limits.checkQuery(query)
        try Limits.check(context)
        let vector = try embed(query)
        let wrong = feedbackType == .toolSelectionError && selectedTool != correctTool ? selectedTool : nil
        var event = FeedbackEvent(id: 0, at: Date(), user: context.user, team: context.team, session: context.session,
                                  query: configuration.keepQueryText ? Redaction.redact(query) : nil, queryVector: vector,
                                  selectedTool: selectedTool, correctTool: correctTool, type: feedbackType)
        event.id = try store.appendFeedback(event)
        try apply(event, wrong: wrong)
    }

    /// Records how a call of `tool` ended (timeouts count as failures). Updates health, the
    /// circuit breaker and preferences; durable on return.
    public func recordExecution(tool: String, outcome: ExecutionOutcome, latency: Duration? = nil,
                                context: RoutingContext = RoutingContext()) throws(GantryError) {
        guard registry[tool] != nil else { throw .unknownTool(tool) }
        try Limits.check(context)
        let milliseconds = latency.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        if let milliseconds { guard milliseconds.isFinite, milliseconds >= 0 else { throw .invalidInput("latency must be finite and not negative") } }
        var event = ExecutionEvent(id: 0, at: Date(), user: context.user, team: context.team, session: context.session,
                                   tool: tool, outcome: outcome, latencyMilliseconds: milliseconds,
                                   intent: context.session.flatMap { sessionIntents[$0] })
        event.id = try store.appendExecution(event)
        apply(event)
        try store.saveBreaker(tool, health[tool]!.breaker)
    }

    /// The circuit-breaker state of `tool` now.
    public func breakerState(of tool: String) throws(GantryError) -> CircuitBreaker.State {
        guard registry[tool] != nil else { throw .unknownTool(tool) }
        return health[tool]?.breaker.state(at: Date(), policy: configuration.breaker) ?? .closed
    }

    /// Deletes every stored event of `user` and the preference state built from them.
    public func forget(user: String) throws(GantryError) -> Int {
        let removed = try store.deleteEvents(of: user)
        try rebuildLearnedState()
        return removed
    }

    /// The event log (feedback and executions) as JSON lines, oldest first.
    public func exportEvents() throws(GantryError) -> String {
        try store.exportEvents()
    }

    /// Appends events exported by `exportEvents` (all or nothing; tools must be registered and
    /// vectors of this model's dimension), then folds them into the learned state. Returns how many.
    public func importEvents(_ jsonLines: String) throws(GantryError) -> Int {
        guard jsonLines.utf8.count <= Limits.importBytes else {
            throw .invalidInput("the event log has \(jsonLines.utf8.count) bytes; import at most \(Limits.importBytes) at once")
        }
        let count = try store.importEvents(jsonLines, dimension: embedder.dimension, knownTools: Set(registry.keys))
        try rebuildLearnedState()
        return count
    }

    // MARK: internals

    func embed(_ text: String) throws(GantryError) -> [Float] {
        let vector: [Float]
        do { vector = Array(try embedder.embed([text]).row(0)) } catch { throw .embedding("\(error)") }
        try Limits.checkVector(vector, dimension: embedder.dimension, "the query's embedding")
        return vector
    }

    func adaptedToolVector(_ name: String, _ vector: [Float]) throws(GantryError) -> [Float] {
        guard let adapter else { return vector }
        let matrix: Matrix
        do { matrix = try Matrix(rows: 1, cols: vector.count, values: vector) } catch { throw .invalidInput("\(error)") }
        return try adaptError { () throws(AdaptError) in Array(try adapter.adaptTools(matrix, ids: [name]).row(0)) }
    }

    func apply(_ event: FeedbackEvent, wrong: String?) throws(GantryError) {
        try memory.add(id: event.id, vector: event.queryVector, entry: .init(correct: event.correctTool, wrong: wrong, at: event.at, team: event.team))
        if let intent = toolIntents[event.correctTool] { intents?.refine(intent, with: event.queryVector) }
        if let user = event.user { userChoices[user, default: [:]][event.correctTool, default: 0] += 1 }
        if let team = event.team { teamChoices[team, default: [:]][event.correctTool, default: 0] += 1 }
    }

    func apply(_ event: ExecutionEvent) {
        let policy = configuration.breaker
        var state = health[event.tool] ?? ToolHealth()
        let success = event.outcome == .success
        state.record(success: success, latency: event.latencyMilliseconds, window: policy.window)
        state.breaker.record(success: success, windowFailureRate: state.failureRate, windowCalls: state.outcomes.count,
                             at: event.at, policy: policy)
        health[event.tool] = state
        performance.record(tool: event.tool, intent: event.intent, success: success, session: event.session)
        if success {
            if let user = event.user { userChoices[user, default: [:]][event.tool, default: 0] += 1 }
            if let team = event.team { teamChoices[team, default: [:]][event.tool, default: 0] += 1 }
        }
    }

    /// Loads tools, adapter, breakers and replays the event log into the learned state.
    private func restore() throws(GantryError) {
        if let bytes = try store.adapterBytes() { adapter = try Self.decodeAdapter(bytes, model: embedder.modelIdentity) }
        var stale = [Tool]()
        for stored in try store.tools() {
            if stored.model == embedder.modelIdentity, stored.vector.count == embedder.dimension {
                registry[stored.tool.name] = Registered(tool: stored.tool, vector: stored.vector)
            } else {
                stale.append(stored.tool)  // embedded by another model: embed again
            }
        }
        for (name, entry) in registry { toolIntents[name] = intents?.intent(ofTool: entry.tool, vector: entry.vector) }
        deprecatedTools = Set(registry.values.filter(\.tool.deprecated).map(\.tool.name))
        try rebuildIndex()
        if !stale.isEmpty { try register(stale) }
        try rebuildLearnedState()
        for (tool, breaker) in try store.breakers() where registry[tool] != nil { health[tool, default: ToolHealth()].breaker = breaker }
    }

    /// Feedback memory, health windows and preferences from the stored events (after a restart
    /// or `forget`). Breaker states are kept as stored.
    private func rebuildLearnedState() throws(GantryError) {
        memory = try FeedbackMemory(dimension: embedder.dimension, settings: configuration.feedbackMemory)
        intents = baseIntents
        performance = PerformanceModel()
        userChoices = [:]
        teamChoices = [:]
        let breakers = health.mapValues(\.breaker)
        health = [:]
        for event in try store.feedbackEvents() where event.queryVector.count == embedder.dimension {
            let wrong = event.type == .toolSelectionError && event.selectedTool != event.correctTool ? event.selectedTool : nil
            try apply(event, wrong: wrong)
        }
        for event in try store.executionEvents() where registry[event.tool] != nil { apply(event) }
        for (tool, breaker) in breakers { health[tool, default: ToolHealth()].breaker = breaker }
    }

    func rebuildIndex() throws(GantryError) {
        var fresh = try ToolIndex(dimension: embedder.dimension, hnsw: registry.count > configuration.flatIndexLimit)
        for (name, entry) in registry { try fresh.upsert(name, try adaptedToolVector(name, entry.vector)) }
        index = fresh
    }

    private func rebalanceIndexIfNeeded() throws(GantryError) {
        if index.isHNSW != (registry.count > configuration.flatIndexLimit) { try rebuildIndex() }
    }

    static func decodeAdapter(_ bytes: [UInt8], model: String) throws(GantryError) -> LowRankAdapter {
        try adaptError { () throws(AdaptError) in try AdapterFile.decode(bytes, source: "the stored adapter", expectedModel: model).adapter }
    }
}

func adaptError<T>(_ body: () throws(AdaptError) -> T) throws(GantryError) -> T {
    do { return try body() } catch { throw .adapt(error) }
}
