/// `Signal.semantic`: the adapted cosine the candidate came with — a part of `retrieval`,
/// reported on its own.
struct SemanticSignal: SignalProvider {
    /// 0: the cosine enters the score through `retrieval`. (Weighting it instead of `retrieval`
    /// ranks by the cosine alone, as before hybrid retrieval.)
    let defaultWeight = 0.0

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map(\.semantic)
    }
}
