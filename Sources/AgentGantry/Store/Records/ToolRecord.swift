import Foundation
import GRDB

/// A row of `tool`: a registered tool, its definition as JSON, and its frozen embedding.
struct ToolRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tool"

    var name: String
    /// The `Tool` as sorted-key JSON.
    var definition: String
    var fingerprint: String
    /// Identity of the model that embedded it.
    var model: String
    var vector: Data
    var updatedAt: Double

    init(tool: Tool, vector: [Float], model: String, at date: Date) {
        name = tool.name
        definition = StoredTool.definition(of: tool)
        fingerprint = tool.fingerprint
        self.model = model
        self.vector = StoredVector.data(vector)
        updatedAt = date.timeIntervalSince1970
    }

    /// The columns `init(row:)` reads, in the order it reads them (every fetch of this record
    /// selects them so: `databaseSelection`, `SQLiteStore.decodeRows`).
    static let columns = ["name", "definition", "fingerprint", "model", "vector", "updatedAt"]
    static var databaseSelection: [any SQLSelectable] { columns.map { Column($0) } }

    /// The row's values, selected as `columns` lists them and each converted as `Decodable` would
    /// convert it, but by position: `Decodable` and lookups by name were a third of the time an
    /// open took to read 100,000 tools. Throws for a value of the wrong type.
    init(row: Row) throws {
        name = try row.decode(atIndex: 0)
        definition = try row.decode(atIndex: 1)
        fingerprint = try row.decode(atIndex: 2)
        model = try row.decode(atIndex: 3)
        vector = try row.decode(atIndex: 4)
        updatedAt = try row.decode(atIndex: 5)
    }

    /// The stored tool, validated (`StoredTool.validated`), or why it is not valid.
    func stored(model servingModel: String, dimension: Int) -> Result<StoredTool, DamagedRow> {
        StoredTool.validated(name: name, definition: definition, model: model, vector: StoredVector.floats(vector), rowid: 0,
                             servingModel: servingModel, dimension: dimension)
    }
}
