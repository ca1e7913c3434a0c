/// How a tool call ended.
public enum ExecutionOutcome: String, Sendable, Codable, CaseIterable {
    /// The call did what was asked.
    case success
    /// The call failed; counts against the tool's health and breaker.
    case failure
    /// The call did not finish in time; counts as a failure.
    case timeout
    /// The caller says the tool cannot do this request: a routing mistake, not a fault of the
    /// tool, so it leaves health and breakers alone and teaches the routing that the retrieval's
    /// query should not get this tool. Only reported with the retrieval that offered the tool
    /// (`AgentGantry.recordExecution(retrieval:tool:outcome:latency:context:)`); never stored in
    /// the event log.
    case wrongTool = "wrong_tool"

    /// The outcomes an `ExecutionEvent` of the event log holds: every one but `wrongTool`.
    public static let logged: [ExecutionOutcome] = [.success, .failure, .timeout]
}
