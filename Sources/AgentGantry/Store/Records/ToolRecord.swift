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
        definition = Self.definition(of: tool)
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

    /// `tool` as the `definition` column holds it: sorted-key JSON.
    static func definition(of tool: Tool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(tool)) ?? Data(), as: UTF8.self)
    }

    /// The stored tool, validated as `register` validates a tool: its definition decodes, names
    /// this row and passes `Tool.validate()`; its vector has finite values, not all zero, and
    /// `dimension` of them when `model` embedded it. Otherwise returns why not.
    func stored(model servingModel: String, dimension: Int) -> Result<StoredTool, DamagedRow> {
        guard let tool = Tool(definition: definition) else {
            return .failure(DamagedRow(reason: "its definition is not a tool's JSON"))
        }
        guard tool.name == name else { return .failure(DamagedRow(reason: "its definition names another tool")) }
        do { try tool.validate() } catch { return .failure(DamagedRow(reason: "its definition is invalid: \(error)")) }
        let values = StoredVector.floats(vector)
        guard !values.isEmpty, values.allSatisfy(\.isFinite), values.contains(where: { $0 != 0 }) else {
            return .failure(DamagedRow(reason: "its vector must have finite values, not all zero"))
        }
        guard model != servingModel || values.count == dimension else {
            return .failure(DamagedRow(reason: "its vector has \(values.count) values; \(model) embeds \(dimension)"))
        }
        return .success(StoredTool(tool: tool, model: model, vector: values))
    }
}
