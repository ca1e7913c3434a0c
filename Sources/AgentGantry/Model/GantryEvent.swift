/// One entry of the event log: what the learned state folds, in log order.
enum GantryEvent: Sendable, Equatable {
    case feedback(FeedbackEvent)
    case execution(ExecutionEvent)
}
