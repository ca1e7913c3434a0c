/// What `AgentGantry.retrieveTools` returns: the ranked matches, best first, and the id that
/// reports of what the agent did with them name (`recordSelection(retrieval:tool:context:)`,
/// `recordExecution(retrieval:tool:outcome:latency:context:)`,
/// `recordFeedback(retrieval:selectedTool:correctTool:feedbackType:context:)`). A collection of
/// `ToolMatch`, so code that iterated the matches reads it as before.
public struct Retrieval: RandomAccessCollection, Sendable, Equatable {
    /// The retrieval's id; every call gets its own, also when nothing matched.
    public let id: RetrievalID
    /// The matches, best first.
    public let matches: [ToolMatch]

    /// A retrieval of `matches` named `id`.
    public init(id: RetrievalID, matches: [ToolMatch]) {
        (self.id, self.matches) = (id, matches)
    }

    /// 0.
    public var startIndex: Int { matches.startIndex }
    /// The number of matches.
    public var endIndex: Int { matches.endIndex }
    /// The match at `position` (0 is the best).
    public subscript(position: Int) -> ToolMatch { matches[position] }
}
