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
    /// The query's term hashes (feedback without text only), kept in `eventTerms` beside the row:
    /// not a column (`SQLiteStore.insert(_:in:)` writes them).
    var queryTerms: [UInt64]?
    /// The retrieval that offered an execution's tool, kept in `eventRetrieval` beside the row.
    var retrieval: RetrievalID?

    init(_ event: FeedbackEvent) {
        columns = EventColumns(event)
        queryVector = StoredVector.data(event.queryVector)
        queryTerms = event.queryTerms
    }

    init(_ event: ExecutionEvent) {
        columns = EventColumns(event)
        retrieval = event.retrieval
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

    /// The event this row holds with the query terms and the retrieval stored beside it
    /// (`EventColumns.event(id:queryVector:queryTerms:retrieval:)`).
    func event(queryTerms: [UInt64]? = nil, retrieval: RetrievalID? = nil) throws(DamagedRow) -> GantryEvent {
        guard let id else { throw DamagedRow(column: "id") }
        return try columns.event(id: id, queryVector: StoredVector.floats(queryVector), queryTerms: queryTerms, retrieval: retrieval)
    }
}
