/// One result of `retrieveTools`: the tool, its final score and what made it.
public struct ToolMatch: Sendable, Equatable {
    /// The registered tool, with its name, namespace and tags in Unicode NFC.
    public var tool: Tool
    /// Σ weight · value over the signals, with the weights normalized to sum 1.
    public var score: Double
    /// Each signal's value for this tool, before weighting (`breakdown[.feedback]`).
    public var breakdown: ScoreBreakdown
    /// Whether the tool is first because a correction of exactly this query names it (see
    /// `AgentGantry.recordFeedback`); its score is still its own and may be below the next one's.
    public var pinned: Bool
    /// The tool's circuit-breaker state when it was ranked: `closed`, or `half_open` when it was
    /// handed out as a probe (an open breaker's tool is never returned).
    public var breaker: CircuitBreaker.State
}
