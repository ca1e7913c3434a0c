/// `Signal.preference`: how often this user or team chose the tool among the relevant candidates.
struct PreferenceSignal: SignalProvider {
    /// From the support-desk demo: with 0.05, 0.1 and 0.2 its two teams get their own
    /// notification tool for a new request (with 0 they do not), and top-1 over its log is 0.777,
    /// 0.771 and 0.746 (0.783 with 0): past choices are a weak signal; 0.1 rather than 0.05 leaves
    /// room for teams with weaker habits than the demo's.
    let defaultWeight = 0.1

    /// Candidates within this much of the best one's `retrieval` score (the cosine's scale) count
    /// as relevant: preferences only reorder tools that are relevant already.
    static let relevanceMargin = 0.15

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        let best = candidates.map(\.retrieval).max() ?? 0
        let relevant = candidates.filter { $0.retrieval >= best - Self.relevanceMargin }.map(\.name)
        let shares = input.state.preferences.shares(among: relevant, context: input.context,
                                                    smoothing: input.configuration.preferenceSmoothing)
        return candidates.map { shares[$0.name] ?? 0 }
    }
}
