import GantryMath

/// Everything the signals of one retrieval read; computed once per query by the `Ranker`.
struct RankingInput: Sendable {
    var context: RoutingContext
    var state: LearnedState
    var catalog: ToolCatalog
    var configuration: GantryConfiguration
    /// The feedback memory's signal per tool (only tools near a past correction appear).
    var memory: [String: Double]
    /// The query's intent and the classifier's confidence, when it is clear enough.
    var intent: QueryIntent?

    /// The caller's latency budget in milliseconds.
    var latencyBudgetMilliseconds: Double? { context.latencyBudget.map(\.milliseconds) }
}
