/// Computes one `Signal` for the candidates of a retrieval. Providers are stateless values: what
/// they read is in `RankingInput` (the learned-state snapshot, the catalog, the configuration
/// and what the ranker computed once per query).
protocol SignalProvider: Sendable {
    /// The weight of the signal in a default `GantryConfiguration`, with the evidence for it.
    var defaultWeight: Double { get }

    /// The signal's value for each of `candidates` (same order), before weighting.
    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double]
}
