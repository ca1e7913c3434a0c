/// One entry of the event log: what the learned state folds, in log order.
@_spi(StoreImplementation) public enum GantryEvent: Sendable, Equatable {
    case feedback(FeedbackEvent)
    case execution(ExecutionEvent)

    /// The event's id: its place in the log.
    public var id: Int64 {
        switch self {
        case .feedback(let event): event.id
        case .execution(let event): event.id
        }
    }

    /// The retrieval that offered an execution's tool (`ExecutionEvent.retrieval`); nil for feedback.
    public var retrieval: RetrievalID? {
        if case .execution(let event) = self { event.retrieval } else { nil }
    }
}
