import Foundation

/// A stored tool, the model that embedded it, and its frozen embedding.
@_spi(StoreImplementation) public struct StoredTool: Sendable {
    /// The tool's definition.
    public var tool: Tool
    /// The identity of the model that embedded it.
    public var model: String
    /// Its frozen embedding.
    public var vector: [Float]
    /// Where its row is (to quarantine it; a store's own key).
    public var rowid: Int64 = 0

    /// A stored tool.
    public init(tool: Tool, model: String, vector: [Float], rowid: Int64 = 0) {
        (self.tool, self.model, self.vector, self.rowid) = (tool, model, vector, rowid)
    }

    /// `tool` as every store keeps its definition: sorted-key JSON.
    public static func definition(of tool: Tool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(tool)) ?? Data(), as: UTF8.self)
    }

    /// The tool a stored row holds, validated as `register` validates a tool: `definition`
    /// decodes, names `name` and passes `Tool.validate()`; `vector` has finite values, not all
    /// zero, and `dimension` of them when `servingModel` embedded it (`model`). Otherwise returns
    /// why not.
    public static func validated(name: String, definition: String, model: String, vector: [Float], rowid: Int64,
                                 servingModel: String, dimension: Int) -> Result<StoredTool, DamagedRow> {
        guard let tool = Tool(definition: definition) else {
            return .failure(DamagedRow(reason: "its definition is not a tool's JSON"))
        }
        guard tool.name == name else { return .failure(DamagedRow(reason: "its definition names another tool")) }
        do { try tool.validate() } catch { return .failure(DamagedRow(reason: "its definition is invalid: \(error)")) }
        guard !vector.isEmpty, vector.allSatisfy(\.isFinite), vector.contains(where: { $0 != 0 }) else {
            return .failure(DamagedRow(reason: "its vector must have finite values, not all zero"))
        }
        guard model != servingModel || vector.count == dimension else {
            return .failure(DamagedRow(reason: "its vector has \(vector.count) values; \(model) embeds \(dimension)"))
        }
        return .success(StoredTool(tool: tool, model: model, vector: vector, rowid: rowid))
    }

    /// The row validated against its own model rather than a serving embedder's (what a copy
    /// keeps: the tools of every model).
    public static func validatedAsStored(name: String, definition: String, model: String, vector: [Float],
                                         rowid: Int64) -> Result<StoredTool, DamagedRow> {
        validated(name: name, definition: definition, model: model, vector: vector, rowid: rowid, servingModel: model, dimension: vector.count)
    }
}
