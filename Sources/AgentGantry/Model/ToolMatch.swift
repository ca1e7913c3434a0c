/// One result of `retrieveTools`: the tool, its final score and what made it.
public struct ToolMatch: Sendable, Equatable {
    public var tool: Tool
    public var score: Double
    public var breakdown: ScoreBreakdown
}
