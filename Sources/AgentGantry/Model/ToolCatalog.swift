/// The registered tools with their frozen embeddings: what the actor's registry holds, as a
/// value (copies are snapshots).
struct ToolCatalog: Sendable {
    /// A registered tool and the frozen embedding of its `embeddingText`.
    struct Entry: Sendable {
        var tool: Tool
        var vector: [Float]
    }

    private(set) var entries: [String: Entry] = [:]
    /// Names of deprecated tools (never returned by a retrieval).
    private(set) var deprecated: Set<String> = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    var names: Dictionary<String, Entry>.Keys { entries.keys }

    subscript(name: String) -> Entry? { entries[name] }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// Makes room for `count` tools (an open fills the catalogue all at once).
    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    mutating func upsert(_ tool: Tool, vector: [Float]) {
        entries[tool.name] = Entry(tool: tool, vector: vector)
        if tool.deprecated { deprecated.insert(tool.name) } else if !deprecated.isEmpty { deprecated.remove(tool.name) }
    }

    mutating func remove(_ name: String) {
        entries[name] = nil
        deprecated.remove(name)
    }
}
