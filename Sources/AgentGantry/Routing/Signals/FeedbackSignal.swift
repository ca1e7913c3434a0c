/// `Signal.feedback`: the feedback memory's vote for the tool on queries like this one
/// (`FeedbackMemory.signals`). The tool a correction of exactly this query names is placed first
/// by the `Ranker`, not by this weight: a weighted vote cannot outweigh every semantic gap on
/// every embedder's score scale.
struct FeedbackSignal: SignalProvider {
    /// Chosen by `gantry replay` on MetaTool: 0.2 beat 0.1, 0.15, 0.25 and 0.35 after `train()`
    /// (top-1 0.783 vs 0.722–0.781).
    let defaultWeight = 0.2

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map { input.memory[$0.name] ?? 0 }
    }
}
