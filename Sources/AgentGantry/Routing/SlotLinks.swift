/// The tools' slots in the dense index (`ToolIndex`) and in the catalogue's lexical index,
/// linked both ways, so that the hybrid first stage meets the two indexes' hits by position: a
/// dense hit's BM25F score, a lexical hit's cosine, and whether a lexical hit is already a
/// candidate each take an array read instead of hashing a name (at 10,000 tools those lookups
/// missed the cache and cost about a tenth of a retrieval).
///
/// Valid for one catalogue revision and one index revision (`Revision`): built when a
/// publication serves hybrid retrieval and either changed (one lookup per tool and side), and
/// checked by both revisions wherever it is read.
struct SlotLinks: Sendable {
    let catalogRevision: Int
    let indexRevision: Int
    /// Per dense slot, the tool's lexical slot, or -1.
    private let lexicalOfDense: [Int32]
    /// Per lexical slot, the tool's dense slot, or -1.
    private let denseOfLexical: [Int32]

    /// The links of every tool of `catalog` that both `index` and the catalogue's lexical index hold.
    init(catalog: ToolCatalog, index: ToolIndex) {
        var pairs = [(dense: Int, lexical: Int)]()
        pairs.reserveCapacity(catalog.count)
        for name in catalog.names {
            guard let dense = index.slot(of: name), let lexical = catalog.lexical.slot(of: .name(name)) else { continue }
            pairs.append((dense, lexical))
        }
        var lexicalOfDense = [Int32](repeating: -1, count: (pairs.map(\.dense).max() ?? -1) + 1)
        var denseOfLexical = [Int32](repeating: -1, count: (pairs.map(\.lexical).max() ?? -1) + 1)
        for (dense, lexical) in pairs {
            lexicalOfDense[dense] = Int32(lexical)
            denseOfLexical[lexical] = Int32(dense)
        }
        (catalogRevision, indexRevision) = (catalog.revision, index.revision)
        (self.lexicalOfDense, self.denseOfLexical) = (lexicalOfDense, denseOfLexical)
    }

    /// Whether these are the links of `catalog` and `index` as they are now.
    func isCurrent(catalog: ToolCatalog, index: ToolIndex) -> Bool {
        catalogRevision == catalog.revision && indexRevision == index.revision
    }

    /// The lexical slot of the tool at dense slot `slot`, nil when the lexical index lacks it.
    func lexicalSlot(ofDense slot: Int) -> Int? {
        slot < lexicalOfDense.count && lexicalOfDense[slot] >= 0 ? Int(lexicalOfDense[slot]) : nil
    }

    /// The dense slot of the tool at lexical slot `slot`, nil when the dense index lacks it.
    func denseSlot(ofLexical slot: Int) -> Int? {
        slot < denseOfLexical.count && denseOfLexical[slot] >= 0 ? Int(denseOfLexical[slot]) : nil
    }
}
