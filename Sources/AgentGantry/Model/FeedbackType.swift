/// What a feedback event says.
public enum FeedbackType: String, Sendable, Codable, CaseIterable {
    /// The selected tool was wrong; `correctTool` was right.
    case toolSelectionError = "tool_selection_error"
    /// The selected tool was right (a confirmation; `correctTool` is that tool).
    case confirmed
}
