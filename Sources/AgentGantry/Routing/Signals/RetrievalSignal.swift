/// `Signal.retrieval`: the first stage's fused dense and lexical score, on the cosine's scale
/// and clamped to its range [−1, 1] (`Ranker`).
struct RetrievalSignal: SignalProvider {
    /// The base of every ranking; the other defaults are chosen around it (`gantry replay`). (It
    /// is the weight the cosine had before hybrid retrieval: at lexical weight 0 this signal is
    /// the cosine.)
    let defaultWeight = 0.65

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map(\.retrieval)
    }
}
