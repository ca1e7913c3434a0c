import Foundation

/// The flat fields of one event, as every store's `event` table (these names) and the JSON
/// event log (the same names in snake_case) hold them; the query vector is kept beside them by
/// each in its own form (a BLOB, a JSON array). `kind` says which fields are set.
@_spi(StoreImplementation) public struct EventColumns: Codable, Equatable, Sendable {
    public var kind: String
    /// Unix seconds.
    public var at: Double
    public var user: String?, team: String?, session: String?
    public var query: String?
    /// Feedback: the selected tool; execution: the tool called.
    public var tool: String?
    public var correctTool: String?
    public var feedbackType: String?
    public var outcome: String?
    public var latencyMs: Double?
    public var intent: String?
    /// The identity of the model that embedded the query vector (feedback only).
    public var model: String?

    /// The columns of a feedback event.
    public init(_ event: FeedbackEvent) {
        kind = Kind.feedback
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        query = event.query
        tool = event.selectedTool
        correctTool = event.correctTool
        feedbackType = event.type.rawValue
        model = event.model
    }

    /// The columns of an execution event.
    public init(_ event: ExecutionEvent) {
        kind = Kind.execution
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        tool = event.tool
        outcome = event.outcome.rawValue
        latencyMs = event.latencyMilliseconds
        intent = event.intent
    }

    /// The columns of `event`.
    public init(_ event: GantryEvent) {
        switch event {
        case .feedback(let event): self.init(event)
        case .execution(let event): self.init(event)
        }
    }

    /// Columns as a store read them.
    public init(kind: String, at: Double, user: String?, team: String?, session: String?, query: String?, tool: String?,
                correctTool: String?, feedbackType: String?, outcome: String?, latencyMs: Double?, intent: String?, model: String?) {
        (self.kind, self.at, self.user, self.team, self.session, self.query, self.tool) = (kind, at, user, team, session, query, tool)
        (self.correctTool, self.feedbackType, self.outcome, self.latencyMs, self.intent, self.model) =
            (correctTool, feedbackType, outcome, latencyMs, intent, model)
    }

    /// The event of the row `id` holding these columns, `queryVector` (empty for none) and, for
    /// feedback, `queryTerms` (`FeedbackEvent.queryTerms`), for an execution its `retrieval`
    /// (`ExecutionEvent.retrieval`), both stored beside the row; throws when a column its kind
    /// needs is missing or invalid.
    public func event(id: Int64, queryVector: [Float], queryTerms: [UInt64]? = nil, retrieval: RetrievalID? = nil) throws(DamagedRow) -> GantryEvent {
        let date = Date(timeIntervalSince1970: at)
        switch kind {
        case Kind.feedback:
            guard let correctTool else { throw DamagedRow(column: "correctTool") }
            guard let type = feedbackType.flatMap(FeedbackType.init(rawValue:)) else { throw DamagedRow(column: "feedbackType") }
            guard !queryVector.isEmpty, queryVector.allSatisfy(\.isFinite), queryVector.contains(where: { $0 != 0 }) else {
                throw DamagedRow(reason: "its query vector must have finite values, not all zero")
            }
            return .feedback(FeedbackEvent(id: id, at: date, user: user, team: team, session: session, query: query,
                                           queryVector: queryVector, selectedTool: tool, correctTool: correctTool,
                                           type: type, model: model, queryTerms: queryTerms))
        case Kind.execution:
            guard let tool else { throw DamagedRow(column: "tool") }
            guard let outcome = outcome.flatMap(ExecutionOutcome.init(rawValue:)), ExecutionOutcome.logged.contains(outcome) else {
                throw DamagedRow(column: "outcome")
            }
            return .execution(ExecutionEvent(id: id, at: date, user: user, team: team, session: session, tool: tool,
                                             outcome: outcome, latencyMilliseconds: latencyMs, intent: intent, retrieval: retrieval))
        default:
            throw DamagedRow(column: "kind")
        }
    }

    /// The values of `kind`.
    public enum Kind {
        public static let feedback = "feedback", execution = "execution"
    }
}
