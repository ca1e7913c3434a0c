/// The registered tools with their frozen embeddings: what the actor's registry holds, as a
/// value (copies are snapshots; a change after a publication copies one shard of the entries).
struct ToolCatalog: Sendable {
    /// A registered tool and the frozen embedding of its `embeddingText`.
    struct Entry: Sendable {
        var tool: Tool
        var vector: [Float]
    }

    private(set) var entries = ShardedDictionary<Entry>()
    /// Names of deprecated tools (never returned by a retrieval).
    private(set) var deprecated: Set<String> = []
    private(set) var count = 0
    /// Counts the changes made to this value (an index built from it is current while this holds).
    private(set) var revision = 0

    var isEmpty: Bool { count == 0 }
    var names: some Sequence<String> { entries.keys }

    subscript(name: String) -> Entry? { entries[name] }

    /// One of the entries, nil when there are none.
    var anyEntry: Entry? { entries.values.first { _ in true } }

    func contains(_ name: String) -> Bool { entries[name] != nil }

    /// Makes room for `count` tools (an open fills the catalogue all at once).
    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    mutating func upsert(_ tool: Tool, vector: [Float]) {
        revision += 1
        if entries[tool.name] == nil { count += 1 }
        entries[tool.name] = Entry(tool: tool, vector: vector)
        if tool.deprecated { deprecated.insert(tool.name) } else if !deprecated.isEmpty { deprecated.remove(tool.name) }
    }

    mutating func remove(_ name: String) {
        revision += 1
        if entries[name] != nil { count -= 1 }
        entries[name] = nil
        deprecated.remove(name)
    }
}
