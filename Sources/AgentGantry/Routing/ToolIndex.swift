import GantryIndex
import GantryMath

/// The tools' adapted vectors, searchable: exact (`FlatIndex`) for small catalogs, `HNSWIndex`
/// above `GantryConfiguration.flatIndexLimit`. Ids are tool names.
///
/// Vectors are made unit when they enter (`upsert`; a no-op for MiniLM's and the adapter's, a
/// guarantee for other embedders') and scored by inner product; a search takes a unit query (the
/// facade's embeddings and the adapter's outputs are unit), so the index normalizes no query.
/// The index holds the only copy of the adapted vectors.
///
/// An HNSW graph cannot drop a node: a replaced or removed tool leaves a tombstone, which costs
/// memory and search time. Once tombstones exceed `tombstoneShare` of the live tools (and 64),
/// the next change rebuilds the graph from the live vectors, so a long-running process that keeps
/// updating tools holds at most a quarter more nodes than tools (a full build each time, one per
/// quarter of the catalogue changed: amortised, about four insertions per change).
struct ToolIndex: Sendable {
    /// Tombstones allowed, as a share of live tools, before an HNSW graph is rebuilt.
    static let tombstoneShare = 0.25
    private enum Storage: Sendable {
        case flat(FlatIndex)
        case hnsw(HNSWIndex)
    }

    private var storage: Storage
    let dimension: Int

    init(dimension: Int, hnsw: Bool) throws(GantryError) {
        self.dimension = dimension
        do {
            storage = hnsw ? .hnsw(try HNSWIndex(dimension: dimension, metric: .innerProduct))
                : .flat(try FlatIndex(dimension: dimension, metric: .innerProduct))
        } catch {
            throw .index(error)
        }
    }

    var isHNSW: Bool { if case .hnsw = storage { true } else { false } }

    /// An index of `vectors`' rows (normalized) under `names`, built in one batch: an HNSW graph
    /// is then built on every core, where adding the rows one by one takes one.
    init(dimension: Int, hnsw: Bool, names: [String], vectors: Matrix) throws(GantryError) {
        try self.init(dimension: dimension, hnsw: hnsw)
        var unit = vectors
        for row in 0..<unit.rows {
            let values = unit.row(row)
            guard values.allSatisfy(\.isFinite), values.contains(where: { $0 != 0 }) else {
                throw .invalidInput("tool \(names[row]): its vector must have \(dimension) finite values, not all zero")
            }
        }
        do { try unit.normalizeRows() } catch { throw .invalidInput("\(error)") }
        let ids = names.map(VectorID.name)
        try mutate { (index: inout any VectorIndex) throws(IndexError) in try index.add(contentsOf: unit, ids: ids) }
    }

    /// A loaded HNSW graph (`ToolIndexCache`), to be reconciled with the catalogue.
    init(loaded graph: HNSWIndex) {
        dimension = graph.dimension
        storage = .hnsw(graph)
    }

    /// The HNSW graph, if the index is one.
    var graph: HNSWIndex? { if case .hnsw(let graph) = storage { graph } else { nil } }

    /// Makes the index hold exactly the tools `names` at `vectors`' rows (normalized): removes
    /// the others, and adds or replaces those whose indexed vector differs from their row by
    /// more than `tolerance` in a component. Returns how many tools it removed, added or replaced;
    /// nil, changing nothing, when more tools would be removed or added than a graph rebuild
    /// tolerates as tombstones (`tombstoneShare` of them, at least 64): building anew is cheaper
    /// than inserting that many (a graph saved for another catalogue, say).
    mutating func reconcile(names: [String], vectors: Matrix, tolerance: Float = 1e-5) throws(GantryError) -> Int? {
        let wanted = Set(names)
        var indexed = Set<String>()
        for case .name(let name) in graph?.ids ?? [] { indexed.insert(name) }
        let stale = indexed.subtracting(wanted), missing = wanted.subtracting(indexed)
        guard Double(stale.count + missing.count) <= max(64, Self.tombstoneShare * Double(names.count)) else { return nil }
        var changes = 0
        for name in stale.sorted() {
            try remove(name)
            changes += 1
        }
        for (row, name) in names.enumerated() {
            let unit = try unit(Array(vectors.row(row)), of: name)
            if let indexed = vector(of: name), zip(indexed, unit).allSatisfy({ abs($0 - $1) <= tolerance }) { continue }
            try upsert(name, unit)
            changes += 1
        }
        return changes
    }

    /// Adds or replaces the vector of `name`, normalized. On error the index is unchanged.
    mutating func upsert(_ name: String, _ vector: [Float]) throws(GantryError) {
        let id = VectorID.name(name)
        // Validate first (length, finite, non-zero) so that a bad vector never removes the old one.
        let unit = try unit(vector, of: name)
        try mutate { (index: inout any VectorIndex) throws(IndexError) in
            if index.contains(id) { try index.remove(id) }
            try index.add(unit, id: id)
        }
    }

    /// `vector` made unit; throws unless it has `dimension` finite values, not all zero.
    private func unit(_ vector: [Float], of name: String) throws(GantryError) -> [Float] {
        var unit = vector
        guard vector.count == dimension, vector.allSatisfy(\.isFinite), (try? SIMDKernels.normalize(&unit)) != nil else {
            throw .invalidInput("tool \(name): its vector must have \(dimension) finite values, not all zero")
        }
        return unit
    }

    mutating func remove(_ name: String) throws(GantryError) {
        try mutate { (index: inout any VectorIndex) throws(IndexError) in try index.remove(.name(name)) }
    }

    /// Tombstoned nodes an HNSW graph still holds (0 for exact search, which has none).
    var tombstoneCount: Int { if case .hnsw(let index) = storage { index.tombstoneCount } else { 0 } }

    /// Runs `body` on the index moved out of `storage` (so it is uniquely referenced and mutated
    /// in place), and puts it back whatever happens.
    private mutating func mutate(_ body: (inout any VectorIndex) throws(IndexError) -> Void) throws(GantryError) {
        var index: any VectorIndex
        switch storage {
        case .flat(let flat): index = flat
        case .hnsw(let hnsw): index = hnsw
        }
        storage = .flat(FlatIndex.placeholder)
        defer {
            if let flat = index as? FlatIndex { storage = .flat(flat) } else { storage = .hnsw(index as! HNSWIndex) }
        }
        do {
            try body(&index)
            // The rebuild only saves memory and time: were it to fail, the change still stands.
            if var graph = index as? HNSWIndex,
               Double(graph.tombstoneCount) > max(64, Self.tombstoneShare * Double(graph.count)),
               (try? graph.compact()) != nil {
                index = graph
            }
        } catch { throw .index(error) }
    }

    /// The nearest `k` tools to the unit vector `query` that `filter` admits.
    func search(_ query: [Float], k: Int, filter: SearchFilter?) throws(GantryError) -> [SearchResult] {
        do {
            switch storage {
            case .flat(let index): return try index.search(query, k: k, filter: filter)
            case .hnsw(let index): return try index.search(query, k: k, filter: filter)
            }
        } catch {
            throw .index(error)
        }
    }

    /// The indexed (unit) vector of `name`.
    func vector(of name: String) -> [Float]? {
        switch storage {
        case .flat(let index): index.vector(of: .name(name))
        case .hnsw(let index): index.vector(of: .name(name))
        }
    }
}

extension FlatIndex {
    /// An empty index used while the real one is moved out for in-place mutation.
    static let placeholder = try! FlatIndex(dimension: 1, metric: .innerProduct)
}
