/// `Signal.intent`: the query's intent confidence for tools of that intent.
struct IntentSignal: SignalProvider {
    /// Off by default: on the MetaTool replay 0.05 and 0.1 lowered top-1.
    let defaultWeight = 0.0

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        guard let intent = input.intent else { return candidates.map { _ in 0 } }
        return candidates.map { input.state.toolIntents[$0.name] == intent.index ? intent.confidence : 0 }
    }
}
