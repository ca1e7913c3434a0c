import Foundation
import GantryMath

/// Computes one `Signal` for the candidates of a retrieval. Providers are stateless values: what
/// they read is in `RankingInput` (the learned-state snapshot, the catalogue, the configuration
/// and what the ranker computed once per query).
protocol SignalProvider: Sendable {
    /// The weight of the signal in a default `GantryConfiguration`, with the evidence for it.
    var defaultWeight: Double { get }

    /// The signal's value for each of `candidates` (same order), before weighting.
    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double]
}

/// A tool competing in one retrieval.
struct Candidate: Sendable {
    var name: String
    /// Cosine similarity of the adapted query and the tool's adapted vector.
    var semantic: Double
}

/// Everything the signals of one retrieval read; computed once per query by the `Ranker`.
struct RankingInput: Sendable {
    /// The query's frozen embedding (the feedback memory and intents live in that space).
    var frozenQuery: [Float]
    var context: RoutingContext
    var now: Date
    var state: LearnedState
    var catalog: ToolCatalog
    var configuration: GantryConfiguration
    /// The feedback memory's signal per tool (only tools near a past correction appear).
    var memory: [String: Double]
    /// The query's intent and the classifier's confidence, when it is clear enough.
    var intent: LearnedState.Intent?

    /// The caller's latency budget in milliseconds.
    var latencyBudgetMilliseconds: Double? { context.latencyBudget.map(\.milliseconds) }
}
