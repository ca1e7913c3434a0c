/// `Signal.performance`: half the fit of the tool's p95 latency to the caller's budget, half
/// 1 − its failure rate on requests of the query's intent.
struct PerformanceSignal: SignalProvider {
    /// Needs executions, which the replays have none of; kept small.
    let defaultWeight = 0.05

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        let budget = input.latencyBudgetMilliseconds
        return candidates.map { candidate in
            0.5 * PerformanceModel.latencyFit(p95: input.state.health[candidate.name]?.p95Latency, budget: budget)
                + 0.5 * (1 - input.state.performance.failureRate(tool: candidate.name, intent: input.intent?.name))
        }
    }
}
