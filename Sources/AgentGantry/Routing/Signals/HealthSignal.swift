/// `Signal.health`: the tool's recent success rate (0.9 before any execution is recorded).
struct HealthSignal: SignalProvider {
    let defaultWeight = 0.05

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map { input.state.health[$0.name]?.successRate ?? ToolHealth.priorSuccessRate }
    }
}
