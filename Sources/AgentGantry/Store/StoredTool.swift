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
}
