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

    /// `tool` as the `definition` column holds it: sorted-key JSON.
    static func definition(of tool: Tool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(tool)) ?? Data(), as: UTF8.self)
    }

    /// The stored tool; throws `GantryError.store` when the row is damaged.
    func stored() throws(GantryError) -> GantryStore.StoredTool {
        guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(definition.utf8)) else {
            throw .store("the stored definition of tool \(name) is damaged")
        }
        let values = StoredVector.floats(vector)
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else { throw .store("the stored vector of tool \(name) is damaged") }
        return GantryStore.StoredTool(tool: tool, model: model, vector: values)
    }
}
