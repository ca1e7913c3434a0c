/// How a tool call ended.
public enum ExecutionOutcome: String, Sendable, Codable, CaseIterable {
    /// The call did what was asked.
    case success
    /// The call failed; counts against the tool's health and breaker.
    case failure
    /// The call did not finish in time; counts as a failure.
    case timeout
}
