import GantryIndex

/// The registered tools with their frozen embeddings and their `lexicalText` in a `LexicalIndex`:
/// what the actor's registry holds, as a value (copies are snapshots; a change after a
/// publication copies one shard of the entries, and the lexical index's term lists).
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
    /// Every tool's `lexicalText`, by name, scored with BM25 (k1 1.2, b 0.75).
    private(set) var lexical = try! LexicalIndex(fields: [LexicalField(name: "text")])  // valid constants
    /// A stamp no other catalogue value or change shares (`Revision`): an index built from it,
    /// and slots read from its lexical index, are current while this holds.
    private(set) var revision = Revision.next()

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
        revision = Revision.next()
        if entries[tool.name] == nil { count += 1 }
        let text = tool.lexicalText, replaced = entries[tool.name]
        entries[tool.name] = Entry(tool: tool, vector: vector)
        if replaced?.tool.lexicalText != text {
            let id = VectorID.name(tool.name)
            // Neither call can fail: the id is held exactly when a tool was replaced, and one text is given for one field.
            if replaced != nil { try? lexical.remove(id) }
            try? lexical.add([text], id: id)
        }
        if tool.deprecated { deprecated.insert(tool.name) } else if !deprecated.isEmpty { deprecated.remove(tool.name) }
    }

    /// Prepares the lexical index for searching (`LexicalIndex.prepareForSearch()`) unless it is
    /// already: done before a publication, so retrievals of the published copy take the fast path.
    mutating func prepareForSearch() {
        if !lexical.isPreparedForSearch { lexical.prepareForSearch() }
    }

    mutating func remove(_ name: String) {
        revision = Revision.next()
        if entries[name] != nil {
            count -= 1
            try? lexical.remove(.name(name))
        }
        entries[name] = nil
        deprecated.remove(name)
    }
}
