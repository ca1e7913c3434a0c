/// `Signal.semantic`: the adapted cosine the candidate came with.
struct SemanticSignal: SignalProvider {
    /// The base of every ranking; the other defaults are chosen around it (`gantry replay`).
    let defaultWeight = 0.65

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map(\.semantic)
    }
}
