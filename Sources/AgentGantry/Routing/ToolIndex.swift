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
    /// The moments of the indexed vectors: a query's score statistics over all of them.
    private(set) var moments: DenseMoments
    /// A stamp no other index value or change shares (`Revision`): slots read from this index
    /// stay valid while it holds (`SlotLinks`).
    private(set) var revision = Revision.next()

    init(dimension: Int, hnsw: Bool) throws(GantryError) {
        self.dimension = dimension
        moments = DenseMoments(dimension: dimension)
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
        try moments.add(unit, sign: 1)
    }

    /// A loaded HNSW graph (`ToolIndexCache`), to be reconciled with the catalogue.
    init(loaded graph: HNSWIndex) throws(GantryError) {
        dimension = graph.dimension
        storage = .hnsw(graph)
        moments = DenseMoments(dimension: dimension)
        let ids = graph.ids
        for start in stride(from: 0, to: ids.count, by: Self.reconcileBlock) {
            var block = [Float]()
            block.reserveCapacity(min(Self.reconcileBlock, ids.count - start) * dimension)
            for id in ids[start ..< min(start + Self.reconcileBlock, ids.count)] {
                graph.withVector(of: id) { block.append(contentsOf: $0) }
            }
            try moments.add(Self.rows(block, dimension), sign: 1)
        }
    }

    /// The HNSW graph, if the index is one.
    var graph: HNSWIndex? { if case .hnsw(let graph) = storage { graph } else { nil } }

    /// Makes the index hold exactly the tools `names`, at the vectors `vectors(rows)` gives for
    /// ranges of them (normalized here): removes the others, and adds or replaces those whose
    /// indexed vector differs from theirs by more than `tolerance` in a component. Vectors are
    /// asked for `reconcileBlock` rows at a time and compared in place on every core, so an open
    /// of 100,000 tools never holds a second copy of them all. Returns how many tools it removed,
    /// added or replaced; nil, changing nothing, when more tools would be removed or added than a
    /// graph rebuild tolerates as tombstones (`tombstoneShare` of them, at least 64): building
    /// anew is cheaper than inserting that many (a graph saved for another catalogue, say).
    mutating func reconcile(names: [String], tolerance: Float = 1e-5,
                            vectors: (Range<Int>) throws(GantryError) -> Matrix) throws(GantryError) -> Int? {
        let present = names.count { contains($0) }  // names are distinct
        let (missing, stale) = (names.count - present, count - present)
        guard Double(stale + missing) <= max(64, Self.tombstoneShare * Double(names.count)) else { return nil }
        var staleNames = [String]()
        if stale > 0 {
            let wanted = Set(names)
            for case .name(let name) in graph?.ids ?? [] where !wanted.contains(name) { staleNames.append(name) }
        }
        var replacements = [(name: String, vector: [Float])]()
        for start in stride(from: 0, to: names.count, by: Self.reconcileBlock) {
            let rows = start..<min(start + Self.reconcileBlock, names.count)
            let block = try vectors(rows)
            for row in try rowsDiffering(names: names[rows], vectors: block, tolerance: tolerance) {
                replacements.append((names[start + row], Array(block.row(row))))
            }
        }
        for name in staleNames.sorted() { try remove(name) }
        for (name, vector) in replacements { try upsert(name, vector) }
        return staleNames.count + replacements.count
    }

    /// Rows `reconcile` asks for at a time.
    static let reconcileBlock = 4_096

    /// The rows of `vectors` (one per name of `names`) whose tool is not indexed, or indexed
    /// with a vector that differs from the row made unit by more than `tolerance` in a
    /// component; compared in place on every core. Throws for a row that is not a valid vector.
    private func rowsDiffering(names: ArraySlice<String>, vectors: Matrix, tolerance: Float) throws(GantryError) -> [Int] {
        let verdicts = Array(names.indices).concurrentMap(minimumShare: 1_024) { i in
            let row = i - names.startIndex
            return vectors.row(row).withUnsafeBufferPointer { values in
                Result { () throws(GantryError) -> Bool in
                    let norm = SIMDKernels.norm(values)
                    guard values.count == dimension, norm > 0, norm.isFinite, values.allSatisfy(\.isFinite) else {
                        throw .invalidInput("tool \(names[i]): its vector must have \(dimension) finite values, not all zero")
                    }
                    let differs = withVector(of: names[i]) { indexed in
                        zip(indexed, values).contains { abs($0 - $1 / norm) > tolerance }
                    }
                    return differs ?? true
                }
            }
        }
        var differing = [Int]()
        for (row, verdict) in verdicts.enumerated() where try verdict.get() { differing.append(row) }
        return differing
    }

    /// Adds or replaces the vector of `name`, normalized. On error the index is unchanged.
    mutating func upsert(_ name: String, _ vector: [Float]) throws(GantryError) {
        try upsert([(name, vector)])
    }

    /// Adds or replaces the vectors of `entries` (names distinct), normalized; the moments take
    /// them in one update (`ssyrk`) rather than one outer product each. Every vector is checked
    /// before any is indexed: on a bad one the index is unchanged.
    mutating func upsert(_ entries: [(name: String, vector: [Float])]) throws(GantryError) {
        var units = [[Float]]()
        for (name, vector) in entries { units.append(try unit(vector, of: name)) }  // a bad vector never removes the old one
        var replaced = [Float](), added = [Float]()
        for ((name, _), unit) in zip(entries, units) {
            if let old = self.vector(of: name) { replaced += old }
            let id = VectorID.name(name)
            try mutate { (index: inout any VectorIndex) throws(IndexError) in
                if index.contains(id) { try index.remove(id) }
                try index.add(unit, id: id)
            }
            added += unit
        }
        try moments.add(Self.rows(replaced, dimension), sign: -1)
        try moments.add(Self.rows(added, dimension), sign: 1)
    }

    /// `values` as rows of `dimension` floats.
    private static func rows(_ values: [Float], _ dimension: Int) throws(GantryError) -> Matrix {
        do { return try Matrix(rows: values.count / dimension, cols: dimension, values: values) } catch { throw .invalidInput("\(error)") }
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
        let removed = vector(of: name)
        try mutate { (index: inout any VectorIndex) throws(IndexError) in try index.remove(.name(name)) }
        if let removed { try moments.add(Self.rows(removed, dimension), sign: -1) }
    }

    /// Derives the moments' search form (`DenseMoments.prepareForSearch()`) unless it is current:
    /// done before a publication.
    mutating func prepareForSearch() {
        if !moments.isPreparedForSearch { moments.prepareForSearch() }
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
        revision = Revision.next()
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

    /// The slots of the nearest `k` tools to the unit vector `query` that `filter` admits (their
    /// names and vectors: `withSlots`), to meet the lexical index's hits by position (`SlotLinks`).
    func searchSlots(_ query: [Float], k: Int, filter: SearchFilter?) throws(GantryError) -> [ScoredIndex] {
        do {
            switch storage {
            case .flat(let index): return try index.searchSlots(query, k: k, filter: filter)
            case .hnsw(let index): return try index.searchSlots(query, k: k, filter: filter)
            }
        } catch {
            throw .index(error)
        }
    }

    /// The slot of `name`, nil when it is not indexed: valid while `revision` holds.
    func slot(of name: String) -> Int? {
        switch storage {
        case .flat(let index): index.slot(of: .name(name))
        case .hnsw(let index): index.slot(of: .name(name))
        }
    }

    /// `body` of the id at every slot and of every slot's vector (`dimension` floats each), read
    /// in place: how many hits of `searchSlots` are read at once. Valid at the slots `slot(of:)`
    /// and `searchSlots` give (a tombstone's slot keeps a stale id).
    func withSlots<R>(_ body: (_ ids: [VectorID], _ vectors: UnsafeBufferPointer<Float>) -> R) -> R {
        switch storage {
        case .flat(let index): index.withSlotVectors { body(index.slotIDs, $0) }
        case .hnsw(let index): index.withSlotVectors { body(index.slotIDs, $0) }
        }
    }

    /// The indexed (unit) vector of `name`.
    func vector(of name: String) -> [Float]? {
        switch storage {
        case .flat(let index): index.vector(of: .name(name))
        case .hnsw(let index): index.vector(of: .name(name))
        }
    }

    /// `body` of the indexed (unit) vector of `name`, read in place from a graph; nil when
    /// `name` is not indexed.
    func withVector<R>(of name: String, _ body: (UnsafeBufferPointer<Float>) -> R) -> R? {
        switch storage {
        case .flat(let index): index.vector(of: .name(name)).map { $0.withUnsafeBufferPointer(body) }
        case .hnsw(let index): index.withVector(of: .name(name), body)
        }
    }

    /// Whether `name` is indexed.
    func contains(_ name: String) -> Bool {
        switch storage {
        case .flat(let index): index.contains(.name(name))
        case .hnsw(let index): index.contains(.name(name))
        }
    }

    /// How many tools are indexed.
    var count: Int {
        switch storage {
        case .flat(let index): index.count
        case .hnsw(let index): index.count
        }
    }
}

extension FlatIndex {
    /// An empty index used while the real one is moved out for in-place mutation.
    static let placeholder = try! FlatIndex(dimension: 1, metric: .innerProduct)
}
