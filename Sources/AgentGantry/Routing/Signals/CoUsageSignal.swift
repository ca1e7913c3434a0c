/// `Signal.coUsage`: how strongly the tool follows the session's last executed tool.
struct CoUsageSignal: SignalProvider {
    /// Needs sessions, which the replays have none of; kept small.
    let defaultWeight = 0.05

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map {
            input.state.performance.coUsage(tool: $0.name, session: input.context.session, vocabulary: input.catalog.count)
        }
    }
}
