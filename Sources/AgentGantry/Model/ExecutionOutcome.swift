/// How a tool call ended.
public enum ExecutionOutcome: String, Sendable, Codable, CaseIterable {
    case success, failure, timeout
}
