import AgentGantry

extension AgentGantry {
    /// The registered tools whose circuit breaker is not closed, with their state: what
    /// `GET /v1/breakers` answers and `/metrics` counts. A tool removed while they are read is
    /// left out.
    func nonClosedBreakers() async -> [String: CircuitBreaker.State] {
        var states = [String: CircuitBreaker.State]()
        for tool in await tools {
            if let state = try? await breakerState(of: tool.name), state != .closed { states[tool.name] = state }
        }
        return states
    }
}
