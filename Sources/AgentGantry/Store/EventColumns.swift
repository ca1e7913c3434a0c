import Foundation

/// The flat fields of one event, as both the store's `event` table (these names) and the JSON
/// event log (the same names in snake_case) hold them; the query vector is kept beside them by
/// each in its own form (a BLOB, a JSON array). `kind` says which fields are set.
struct EventColumns: Codable, Equatable, Sendable {
    var kind: String
    /// Unix seconds.
    var at: Double
    var user: String?, team: String?, session: String?
    var query: String?
    /// Feedback: the selected tool; execution: the tool called.
    var tool: String?
    var correctTool: String?
    var feedbackType: String?
    var outcome: String?
    var latencyMs: Double?
    var intent: String?
    /// The identity of the model that embedded the query vector (feedback only).
    var model: String?

    init(_ event: FeedbackEvent) {
        kind = Kind.feedback
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        query = event.query
        tool = event.selectedTool
        correctTool = event.correctTool
        feedbackType = event.type.rawValue
        model = event.model
    }

    init(_ event: ExecutionEvent) {
        kind = Kind.execution
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        tool = event.tool
        outcome = event.outcome.rawValue
        latencyMs = event.latencyMilliseconds
        intent = event.intent
    }

    /// The values of `kind`.
    enum Kind {
        static let feedback = "feedback", execution = "execution"
    }
}
