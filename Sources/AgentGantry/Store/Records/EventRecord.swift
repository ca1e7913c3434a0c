import Foundation
import GRDB

/// A row of `event`: one feedback or execution event of the log (`kind` says which; the
/// columns of the other kind are NULL).
struct EventRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "event"

    /// The log position (nil until inserted).
    var id: Int64?
    var kind: String
    var at: Double
    var user: String?, team: String?, session: String?
    var query: String?
    var queryVector: Data?
    /// Feedback: the selected tool; execution: the tool called.
    var tool: String?
    var correctTool: String?
    var feedbackType: String?
    var outcome: String?
    var latencyMs: Double?
    var intent: String?

    init(_ event: FeedbackEvent) {
        kind = "feedback"
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        query = event.query
        queryVector = StoredVector.data(event.queryVector)
        tool = event.selectedTool
        correctTool = event.correctTool
        feedbackType = event.type.rawValue
    }

    init(_ event: ExecutionEvent) {
        kind = "execution"
        at = event.at.timeIntervalSince1970
        (user, team, session) = (event.user, event.team, event.session)
        tool = event.tool
        outcome = event.outcome.rawValue
        latencyMs = event.latencyMilliseconds
        intent = event.intent
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The event this row holds; throws `DamagedRow` when a column its kind needs is missing.
    func event() throws -> GantryEvent {
        guard let id else { throw DamagedRow(column: "id") }
        let date = Date(timeIntervalSince1970: at)
        switch kind {
        case "feedback":
            guard let correctTool else { throw DamagedRow(column: "correctTool") }
            guard let feedbackType else { throw DamagedRow(column: "feedbackType") }
            let vector = StoredVector.floats(queryVector)
            guard vector.allSatisfy(\.isFinite) else { throw DamagedRow(column: "queryVector") }
            return .feedback(FeedbackEvent(id: id, at: date, user: user, team: team, session: session, query: query,
                                           queryVector: vector, selectedTool: tool, correctTool: correctTool,
                                           type: FeedbackType(rawValue: feedbackType) ?? .toolSelectionError))
        case "execution":
            guard let tool else { throw DamagedRow(column: "tool") }
            guard let outcome else { throw DamagedRow(column: "outcome") }
            return .execution(ExecutionEvent(id: id, at: date, user: user, team: team, session: session, tool: tool,
                                             outcome: ExecutionOutcome(rawValue: outcome) ?? .failure,
                                             latencyMilliseconds: latencyMs, intent: intent))
        default:
            throw DamagedRow(column: "kind")
        }
    }
}

/// A stored row that does not hold what the schema promises (a damaged file).
struct DamagedRow: Error, CustomStringConvertible {
    var column: String
    var description: String { "a stored row's column \(column) is missing or holds a value of another type; the store is damaged" }
}
