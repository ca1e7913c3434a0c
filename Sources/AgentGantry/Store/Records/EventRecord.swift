import Foundation
import GRDB

/// A row of `event`: one feedback or execution event of the log (`kind` says which; the
/// columns of the other kind are NULL).
struct EventRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "event"

    /// The log position (nil until inserted).
    var id: Int64?
    var columns: EventColumns
    /// The query's frozen embedding (feedback only).
    var queryVector: Data?

    init(_ event: FeedbackEvent) {
        columns = EventColumns(event)
        queryVector = StoredVector.data(event.queryVector)
    }

    init(_ event: ExecutionEvent) {
        columns = EventColumns(event)
    }

    private enum CodingKeys: String, CodingKey { case id, queryVector }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        queryVector = try container.decodeIfPresent(Data.self, forKey: .queryVector)
        columns = try EventColumns(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(id, forKey: .id)
        try container.encodeIfPresent(queryVector, forKey: .queryVector)
        try columns.encode(to: encoder)
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    /// The event this row holds; throws `DamagedRow` when a column its kind needs is missing.
    func event() throws(DamagedRow) -> GantryEvent {
        guard let id else { throw DamagedRow(column: "id") }
        let c = columns
        let date = Date(timeIntervalSince1970: c.at)
        switch c.kind {
        case EventColumns.Kind.feedback:
            guard let correctTool = c.correctTool else { throw DamagedRow(column: "correctTool") }
            guard let type = c.feedbackType.flatMap(FeedbackType.init(rawValue:)) else { throw DamagedRow(column: "feedbackType") }
            let vector = StoredVector.floats(queryVector)
            guard !vector.isEmpty, vector.allSatisfy(\.isFinite), vector.contains(where: { $0 != 0 }) else {
                throw DamagedRow(reason: "its query vector must have finite values, not all zero")
            }
            return .feedback(FeedbackEvent(id: id, at: date, user: c.user, team: c.team, session: c.session, query: c.query,
                                           queryVector: vector, selectedTool: c.tool, correctTool: correctTool,
                                           type: type, model: c.model))
        case EventColumns.Kind.execution:
            guard let tool = c.tool else { throw DamagedRow(column: "tool") }
            guard let outcome = c.outcome.flatMap(ExecutionOutcome.init(rawValue:)) else { throw DamagedRow(column: "outcome") }
            return .execution(ExecutionEvent(id: id, at: date, user: c.user, team: c.team, session: c.session, tool: tool,
                                             outcome: outcome,
                                             latencyMilliseconds: c.latencyMs, intent: c.intent))
        default:
            throw DamagedRow(column: "kind")
        }
    }
}
