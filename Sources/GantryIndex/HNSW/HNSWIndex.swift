import Dispatch
import GantryMath

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Approximate nearest-neighbor search on a Hierarchical Navigable Small World graph
/// (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using
/// Hierarchical Navigable Small World graphs", TPAMI 2018; the layout follows hnswlib).
///
/// Storage (all in `HNSWStorage`, flat buffers indexed by slot, no per-node objects):
/// - `vectors`: `capacity × dimension` floats, row-major; slot i's vector at `i * dimension`.
///   Vectors and codes live in a `RowArena` that copies of the index share: rows are only
///   appended, so a copy made to change a published index copies its links, not its rows.
/// - `codes`, `codeScales`: the same rows as int8 codes (each row scaled so that its largest
///   magnitude is 127) and each row's scale. Searches walk the graph on these (the walk is
///   bound by memory reads, and they are a quarter of the bytes), then rescore the best nodes
///   they found on `vectors`: returned scores are exact. Builds score on `vectors`.
/// - `links0`: layer-0 neighbor lists, fixed stride `1 + 2M`: `[count, n₁ … n₂M]` (Int32 slots).
/// - `upper[i]`: for a node of level L ≥ 1, one block of `L × (1 + M)` Int32s, layer l's list
///   at `(l − 1) × (1 + M)`; nil for level-0 nodes (most of them).
/// - `levels`, `deleted` (tombstones): one byte per slot.
/// Scores are similarities (inner products; cosine on normalized vectors): higher is closer.
///
/// Concurrency: searches on one value may run on any number of threads (each borrows its
/// visited set and heaps from a pool). `add(contentsOf:)` builds with all cores, guarding each
/// neighbor list with a striped lock; mutation otherwise needs exclusive access, as for any value.
public struct HNSWIndex: VectorIndex {
    /// Graph parameters.
    public struct Parameters: Sendable, Equatable {
        /// Neighbors per node on upper layers; layer 0 keeps 2·M. 16 suits 384-d embeddings.
        public var m: Int
        /// Candidate list size while inserting: higher builds a better graph, more slowly.
        public var efConstruction: Int
        /// Default candidate list size while searching (per query: `search(_:k:ef:filter:)`).
        public var efSearch: Int
        /// Seed of the level generator: the same seed and insertion order give the same graph.
        public var seed: UInt64

        /// Parameters as given; they are checked when an index is made (`m` in 2...1024, both `ef`
        /// at least 1), throwing `IndexError.invalidParameter`.
        public init(m: Int = 16, efConstruction: Int = 200, efSearch: Int = 64, seed: UInt64 = 42) {
            self.m = m
            self.efConstruction = efConstruction
            self.efSearch = efSearch
            self.seed = seed
        }

        func validate() throws(IndexError) {
            guard (2...1024).contains(m) else { throw .invalidParameter("M must be in 2...1024, got \(m)") }
            guard efConstruction >= 1 else { throw .invalidParameter("efConstruction must be at least 1, got \(efConstruction)") }
            guard efSearch >= 1 else { throw .invalidParameter("efSearch must be at least 1, got \(efSearch)") }
        }
    }

    /// The length of every vector (at least 1).
    public let dimension: Int
    /// How scores are computed; under `.cosine` vectors are stored normalized.
    public let metric: Metric
    /// The embedding model that made the vectors, written into saved files and checked by
    /// `load(from:expectedModel:)`; empty when not given.
    public var modelIdentity: String
    /// The graph parameters the index was built with (kept in its file).
    public let parameters: Parameters
    var storage: HNSWStorage
    var idMap = IDMap()

    /// An empty index.
    public init(dimension: Int, metric: Metric = .cosine, parameters: Parameters = Parameters(),
                modelIdentity: String = "") throws(IndexError) {
        guard dimension > 0 else { throw .invalidParameter("dimension must be positive, got \(dimension)") }
        try parameters.validate()
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.modelIdentity = modelIdentity
        storage = HNSWStorage(dimension: dimension, m: parameters.m)
    }

    /// Live vectors (tombstoned ones excluded).
    public var count: Int { storage.count - storage.deletedCount }

    /// Bytes the index holds: vectors (fp32, and int8 with a scale each), neighbor lists, levels,
    /// tombstones and ids (not counting allocator overhead or the per-thread search scratch).
    /// Copies share their rows, so two copies of one index count those bytes twice.
    public var memoryFootprint: Int {
        let s = storage
        var upperBytes = 0
        for slot in 0..<s.count { upperBytes += Int(s.levels[slot]) * s.strideUpper * 4 }
        return s.rows.capacity * (dimension * 5 + 4) + s.capacity * (s.stride0 * 4 + 2 + MemoryLayout<UnsafeMutablePointer<Int32>?>.stride)
            + upperBytes + idMap.memoryFootprint
    }

    /// Tombstoned vectors still held in the graph; `compact()` drops them.
    public var tombstoneCount: Int { storage.deletedCount }

    /// Whether `id` is indexed and not removed (a hash lookup).
    public func contains(_ id: VectorID) -> Bool { idMap.slot(of: id) != nil }

    /// The ids indexed (not those removed), in the order they were added.
    public var ids: [VectorID] { (0..<storage.count).compactMap { storage.deleted[$0] == 0 ? idMap.ids[$0] : nil } }

    /// The stored vector of `id` (for cosine: the normalized one); nil for an unknown or removed
    /// (tombstoned) id.
    public func vector(of id: VectorID) -> [Float]? { idMap.slot(of: id).map { storage.vector(Int($0)) } }

    /// `body` of the stored vector of `id`, read in place (no copy); nil for an unknown or
    /// removed id. The buffer is valid only inside `body`.
    public func withVector<R>(of id: VectorID, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R? {
        guard let slot = idMap.slot(of: id) else { return nil }
        return try body(UnsafeBufferPointer(start: storage.vectors + Int(slot) * dimension, count: dimension))
    }

    // MARK: adding

    /// Inserts one vector (normalized first under `.cosine`) on the calling thread. Throws
    /// `IndexError.duplicateID`, `.dimensionMismatch`, `.nonFiniteVector` or, under cosine,
    /// `.zeroVector`; nothing is added then.
    public mutating func add(_ vector: some ContiguousFloats, id: VectorID) throws(IndexError) {
        try VectorCheck.validate(vector, dimension: dimension, metric: metric)
        let row = vector.withUnsafeBufferPointer { Array($0) }
        try add(contentsOf: try! Matrix(rows: 1, cols: dimension, values: row), ids: [id], threads: 1)
    }

    /// `add(contentsOf:ids:threads:progress:)` on every core: all or nothing, every row and id
    /// checked before the first insertion.
    public mutating func add(contentsOf batch: Matrix, ids newIDs: [VectorID]) throws(IndexError) {
        try add(contentsOf: batch, ids: newIDs, threads: nil)
    }

    /// Adds one vector per row, all or nothing, inserting on `threads` threads (default: every
    /// core). With one thread the graph depends only on the seed and the insertion order.
    /// `progress` is called now and then with the number of vectors inserted so far.
    public mutating func add(contentsOf batch: Matrix, ids newIDs: [VectorID], threads: Int?,
                             progress: (@Sendable (Int) -> Void)? = nil) throws(IndexError) {
        guard batch.rows == newIDs.count else { throw .idCountMismatch(rows: batch.rows, ids: newIDs.count) }
        try VectorCheck.validate(batch, dimension: dimension, metric: metric)
        try idMap.checkNew(newIDs)
        guard batch.rows > 0 else { return }

        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        let first = storage.count
        storage.reserve(first + batch.rows)
        let levelScale = 1 / log(Double(parameters.m))
        batch.withUnsafeBufferPointer { rows in
            for i in 0..<batch.rows {
                let slot = first + i
                var rng = SplitMix64(seed: parameters.seed ^ (UInt64(slot) &* 0x9E37_79B9_7F4A_7C15))
                let uniform = Double.random(in: Double.ulpOfOne..<1, using: &rng)
                let level = min(Int(-log(uniform) * levelScale), 31)
                storage.append(UnsafeBufferPointer(rebasing: rows[i * dimension..<(i + 1) * dimension]), level: level)
            }
        }
        if metric == .cosine {
            VectorCheck.normalizeRows(UnsafeMutableBufferPointer(start: storage.vectors + first * dimension,
                                                                 count: batch.rows * dimension), dimension: dimension)
        }
        storage.encodeCodes(first..<storage.count)
        for id in newIDs { idMap.append(id) }

        var start = first
        if storage.entryPoint < 0 {  // the first node is the entry point; it needs no links
            storage.entryPoint = Int32(first)
            storage.maxLevel = Int(storage.levels[first])
            start += 1
        }
        let workers = max(1, min(threads ?? ActiveCores.count, storage.count - start))
        let builder = HNSWBuilder(storage: storage, efConstruction: parameters.efConstruction, locking: workers > 1)
        if workers == 1 {
            for slot in start..<storage.count {
                builder.insert(Int32(slot))
                if let progress, (slot - first) % 1024 == 0 { progress(slot - first) }
            }
        } else {
            // Worker w inserts slots begin + w, begin + w + workers, …; worker 0 reports progress
            // as its own count times the number of workers.
            let (begin, end) = (start, storage.count)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var slot = begin + worker
                var inserted = 0
                while slot < end {
                    builder.insert(Int32(slot))
                    inserted += 1
                    if let progress, worker == 0, inserted % 512 == 0 { progress(begin - first + inserted * workers) }
                    slot += workers
                }
            }
        }
        progress?(batch.rows)
    }

    // MARK: removing

    /// Tombstones `id`: searches pass through its node but never return it. Its slot is
    /// reclaimed by `compact()`.
    public mutating func remove(_ id: VectorID) throws(IndexError) {
        guard let slot = idMap.slot(of: id) else { throw .unknownID(id) }
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        storage.deleted[Int(slot)] = 1
        storage.deletedCount += 1
        idMap.forget(id)
    }

    /// Rebuilds the graph from the live vectors only (same parameters, same order), dropping
    /// tombstones. Cost: a full build.
    public mutating func compact(threads: Int? = nil) throws(IndexError) {
        var rebuilt = try HNSWIndex(dimension: dimension, metric: metric, parameters: parameters, modelIdentity: modelIdentity)
        let live = (0..<storage.count).filter { storage.deleted[$0] == 0 }
        var values = [Float]()
        values.reserveCapacity(live.count * dimension)
        for slot in live { values += storage.vector(slot) }
        let ids = live.map { idMap.ids[$0] }
        try rebuilt.add(contentsOf: try! Matrix(rows: live.count, cols: dimension, values: values), ids: ids, threads: threads)
        self = rebuilt
    }

    // MARK: searching

    /// `search(_:k:ef:filter:)` with `parameters.efSearch` as `ef`.
    public func search(_ query: some ContiguousFloats, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        try search(query, k: k, ef: parameters.efSearch, filter: filter)
    }

    /// The `k` approximate nearest vectors, searching with a candidate list of `max(ef, k)`.
    /// A filter that leaves few ids (at most `2 · ef · 2M`) is answered by an exact scan of
    /// them, so selective filters keep their recall.
    public func search(_ query: some ContiguousFloats, k: Int, ef: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        guard ef >= 1 else { throw .invalidParameter("ef must be at least 1, got \(ef)") }
        let q = try VectorCheck.prepare(query, dimension: dimension, metric: metric, row: 0)
        return searchPrepared(q, k: k, ef: ef, filter: filter)
    }

    /// `search(_:k:filter:)` answering with slots (`slotIDs`, `withSlotVectors`) instead of ids: for linking
    /// hits to another index by position (see `slot(of:)`), without hashing ids.
    public func searchSlots(_ query: some ContiguousFloats, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [ScoredIndex] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        let q = try VectorCheck.prepare(query, dimension: dimension, metric: metric, row: 0)
        return searchSlotsPrepared(q, k: k, ef: parameters.efSearch, filter: filter)
    }

    /// `search(queries:k:ef:filter:threads:)` with `parameters.efSearch` as `ef`, on every core.
    public func search(queries: Matrix, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [[SearchResult]] {
        try search(queries: queries, k: k, ef: parameters.efSearch, filter: filter)
    }

    /// Batched search; queries run in parallel on `threads` threads (default: every core).
    public func search(queries: Matrix, k: Int, ef: Int, filter: SearchFilter? = nil,
                       threads: Int? = nil) throws(IndexError) -> [[SearchResult]] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        guard ef >= 1 else { throw .invalidParameter("ef must be at least 1, got \(ef)") }
        guard queries.cols == dimension || queries.rows == 0 else { throw .dimensionMismatch(expected: dimension, found: queries.cols) }
        var prepared = [[Float]]()
        prepared.reserveCapacity(queries.rows)
        for row in 0..<queries.rows {
            prepared.append(try VectorCheck.prepare(queries.row(row), dimension: dimension, metric: metric, row: row))
        }
        let results = ResultSlots(count: queries.rows)
        let workers = max(1, min(threads ?? ActiveCores.count, queries.rows / 16))
        let (index, rows) = (self, prepared)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for row in stride(from: worker, to: rows.count, by: workers) {
                results.store(index.searchPrepared(rows[row], k: k, ef: ef, filter: filter), at: row)
            }
        }
        return results.values
    }

    private func searchPrepared(_ query: [Float], k: Int, ef: Int, filter: SearchFilter?) -> [SearchResult] {
        searchSlotsPrepared(query, k: k, ef: ef, filter: filter).map { SearchResult(id: idMap.ids[$0.index], score: $0.score) }
    }

    private func searchSlotsPrepared(_ query: [Float], k: Int, ef: Int, filter: SearchFilter?) -> [ScoredIndex] {
        guard k > 0, count > 0 else { return [] }
        let (k, ef) = (min(k, count), min(ef, count))  // past the vectors held: nothing to allocate, no overflow
        var allowedMask: [Bool]?
        let exactScanLimit = 2 * max(ef, k) * 2 * parameters.m
        if case .excluding(let excluded) = filter {
            let (mask, allowed) = idMap.excludedMask(excluded)
            if allowed <= exactScanLimit {
                return exactSearch(query, k: k, slots: mask.indices.filter { mask[$0] }.map { Int32($0) })
            }
            allowedMask = mask
        } else if let filter {
            let allowed = idMap.allowedSlots(filter)
            if allowed.count <= exactScanLimit {
                return exactSearch(query, k: k, slots: allowed)
            }
            var mask = [Bool](repeating: false, count: storage.count)
            for slot in allowed { mask[Int(slot)] = true }
            allowedMask = mask
        }
        let hits = query.withUnsafeBufferPointer { q in
            storage.search(q.baseAddress!, k: k, ef: max(ef, k), allowed: allowedMask)
        }
        return hits.map { ScoredIndex(index: Int($0.slot), score: $0.score) }
    }

    private func exactSearch(_ query: [Float], k: Int, slots: [Int32]) -> [ScoredIndex] {
        let live = slots.filter { storage.deleted[Int($0)] == 0 }
        var scores = [Float](repeating: 0, count: live.count)
        query.withUnsafeBufferPointer { q in
            for (i, slot) in live.enumerated() { scores[i] = storage.score(q.baseAddress!, Int(slot)) }
        }
        return SIMDKernels.topK(scores, k: k).map { ScoredIndex(index: Int(live[$0.index]), score: $0.score) }
    }

    // MARK: slots

    /// The slot of `id`, nil when it is not indexed (or removed). A slot is a node's position in
    /// this value of the graph, valid until its next change (`compact()` renumbers them): two
    /// indexes of the same ids can be linked slot to slot once, then meet by position.
    public func slot(of id: VectorID) -> Int? { idMap.slot(of: id).map(Int.init) }

    /// The id at every slot, in slot order: tombstoned slots keep the id they had (a removed
    /// id, possibly added again at another slot), so read it only at a slot `slot(of:)` or
    /// `searchSlots` gave.
    public var slotIDs: [VectorID] { idMap.ids }

    /// `body` of every slot's stored vector, read in place: `dimension` floats per slot, in slot
    /// order (a tombstone's too). The buffer is valid only inside `body`.
    public func withSlotVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.vectors, count: storage.count * dimension))
    }
}

// MARK: - The algorithm

extension HNSWStorage {
    /// Nodes beyond `k` that a search rescores in fp32.
    static let rescoreMargin = 8

    /// Greedy descent through the upper layers, then a best-first search of layer 0 with a
    /// candidate list of `ef`, both on the int8 codes; the best `k` + `rescoreMargin` nodes
    /// found are rescored on the fp32 vectors and the best `k` live (and allowed) ones returned.
    func search(_ query: UnsafePointer<Float>, k: Int, ef: Int, allowed: [Bool]?) -> [ScoredSlot] {
        guard entryPoint >= 0 else { return [] }
        let scratch = self.scratch.borrow(capacity: count)
        defer { self.scratch.giveBack(scratch) }
        withUnsafePointer(to: entryPoint) { scores(query, slots: UnsafeBufferPointer(start: $0, count: 1), approximate: true, into: scratch.scores) }
        var current = ScoredSlot(score: scratch.scores[0], slot: entryPoint)
        if maxLevel > 0 {
            for layer in stride(from: maxLevel, to: 0, by: -1) {
                current = greedyClosest(query, from: current, layer: layer, scratch: scratch, locking: false, approximate: true)
            }
        }
        var found = allowed.map { mask in
            mask.withUnsafeBufferPointer {
                searchLayer(query, entry: current, ef: ef, layer: 0, scratch: scratch, locking: false, approximate: true, allowed: $0.baseAddress)
            }
        } ?? searchLayer(query, entry: current, ef: ef, layer: 0, scratch: scratch, locking: false, approximate: true, allowed: nil)
        // Rescored: the best k by int8 score and a margin (an int8 score of unit vectors at
        // d = 384 is typically within ~5e-4 of the fp32 one, so a node further down would need
        // a near tie across the margin to belong; recall at a given ef measured unchanged).
        let byScore: (ScoredSlot, ScoredSlot) -> Bool = { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }
        found.sort(by: byScore)
        found.removeLast(max(0, found.count - (k + Self.rescoreMargin)))
        let slots = found.map(\.slot)
        var exact = [Float](repeating: 0, count: slots.count)  // k may exceed the scratch's 2,048
        exact.withUnsafeMutableBufferPointer { out in
            slots.withUnsafeBufferPointer { scores(query, slots: $0, approximate: false, into: out.baseAddress!) }
        }
        for i in found.indices { found[i].score = exact[i] }
        return Array(found.sorted(by: byScore).prefix(k))
    }

    /// Moves to a better neighbor on `layer` until none is better.
    func greedyClosest(_ query: UnsafePointer<Float>, from start: ScoredSlot, layer: Int, scratch: Scratch,
                       locking: Bool, approximate: Bool) -> ScoredSlot {
        var best = start
        var improved = true
        let neighbors = scratch.neighbors, scores = scratch.scores
        while improved {
            improved = false
            let n = readLinks(Int(best.slot), layer: layer, into: neighbors, locking: locking)
            self.scores(query, slots: UnsafeBufferPointer(start: neighbors, count: n), approximate: approximate, into: scores)
            for i in 0..<n where scores[i] > best.score {
                best = ScoredSlot(score: scores[i], slot: neighbors[i])
                improved = true
            }
        }
        return best
    }

    /// Copies the neighbor list into `buffer` (under its lock while building) and returns its count.
    @inline(__always)
    func readLinks(_ slot: Int, layer: Int, into buffer: UnsafeMutablePointer<Int32>, locking: Bool) -> Int {
        func copy() -> Int {
            let list = links(slot, layer: layer)
            let n = Int(list[0])
            buffer.update(from: list + 1, count: n)
            return n
        }
        return locking ? lockStripes.withLock(slot, copy) : copy()
    }

    /// Best-first search of one layer from `entry` (Algorithm 2 of the paper). Nodes that are
    /// tombstoned or not allowed are traversed but not returned. Returns up to `ef` nodes.
    /// Each expansion first collects the unvisited neighbors, then scores them in one
    /// prefetching gather (`SIMDKernels.gatherDots`, on the int8 codes when `approximate`), so their
    /// rows load in parallel.
    func searchLayer(_ query: UnsafePointer<Float>, entry: ScoredSlot, ef: Int, layer: Int, scratch: Scratch,
                     locking: Bool, approximate: Bool, allowed: UnsafePointer<Bool>?) -> [ScoredSlot] {
        let epoch = scratch.nextEpoch()
        let visited = scratch.visited
        let neighbors = scratch.neighbors, scores = scratch.scores
        var candidates = BinaryHeap(maxOnTop: true)
        var results = BinaryHeap(maxOnTop: false)
        swap(&candidates, &scratch.candidates)
        swap(&results, &scratch.results)
        defer {
            candidates.removeAll()
            results.removeAll()
            swap(&candidates, &scratch.candidates)
            swap(&results, &scratch.results)
        }
        visited[Int(entry.slot)] = epoch
        candidates.push(entry)
        if deleted[Int(entry.slot)] == 0 && (allowed?[Int(entry.slot)] ?? true) { results.push(entry) }
        while let nearest = candidates.top {
            if results.count >= ef, nearest.score < results.top!.score { break }
            candidates.pop()
            let listed = readLinks(Int(nearest.slot), layer: layer, into: neighbors, locking: locking)
            var fresh = 0
            for i in 0..<listed {
                let neighbor = neighbors[i]
                guard visited[Int(neighbor)] != epoch else { continue }
                visited[Int(neighbor)] = epoch
                neighbors[fresh] = neighbor
                fresh += 1
            }
            self.scores(query, slots: UnsafeBufferPointer(start: neighbors, count: fresh), approximate: approximate, into: scores)
            for i in 0..<fresh {
                let s = scores[i], neighbor = neighbors[i]
                if results.count < ef || s > results.top!.score {
                    candidates.push(ScoredSlot(score: s, slot: neighbor))
                    if deleted[Int(neighbor)] == 0 && (allowed?[Int(neighbor)] ?? true) {
                        results.push(ScoredSlot(score: s, slot: neighbor))
                        if results.count > ef { results.pop() }
                    }
                }
            }
        }
        return results.elements
    }

    /// The neighbor-selection heuristic (Algorithm 4 of the paper, as in hnswlib): take
    /// candidates best first, keeping one only if it is closer to the base than to every
    /// neighbor already kept, until `limit` are kept. Spreads links across directions.
    func selectNeighbors(_ candidates: [ScoredSlot], limit: Int) -> [ScoredSlot] {
        guard candidates.count > limit else { return candidates }
        let ordered = candidates.sorted { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }
        var kept = [ScoredSlot]()
        kept.reserveCapacity(limit)
        for candidate in ordered {
            let base = vectors + Int(candidate.slot) * dimension
            let diverse = kept.allSatisfy { score(base, Int($0.slot)) < candidate.score }
            if diverse {
                kept.append(candidate)
                if kept.count == limit { break }
            }
        }
        return kept
    }

}

/// The insertion step, shared by the serial and the parallel build.
struct HNSWBuilder: @unchecked Sendable {
    let storage: HNSWStorage
    let efConstruction: Int
    let locking: Bool

    /// Inserts the node already appended at `slot` (Algorithm 1 of the paper).
    func insert(_ slot: Int32) {
        let s = storage
        let level = Int(s.levels[Int(slot)])
        let query = UnsafePointer(s.vectors + Int(slot) * s.dimension)
        let (entry, topLevel) = s.entryLock.withLock(0) { (s.entryPoint, s.maxLevel) }

        let scratch = s.scratch.borrow(capacity: s.count)
        defer { s.scratch.giveBack(scratch) }
        var current = ScoredSlot(score: s.score(query, Int(entry)), slot: entry)
        if topLevel > level {
            for layer in stride(from: topLevel, to: level, by: -1) {
                current = s.greedyClosest(query, from: current, layer: layer, scratch: scratch, locking: locking, approximate: false)
            }
        }
        // Phase 1: choose and write the new node's own lists on every layer. Nobody links to it
        // yet, so no other thread can reach (or edit) these lists while they are written.
        var chosenByLayer = [(layer: Int, neighbors: [ScoredSlot])]()
        for layer in stride(from: min(level, topLevel), through: 0, by: -1) {
            let found = s.searchLayer(query, entry: current, ef: efConstruction, layer: layer, scratch: scratch,
                                      locking: locking, approximate: false, allowed: nil)
                .filter { $0.slot != slot }
            let chosen = s.selectNeighbors(found, limit: s.m)
            let own = s.links(Int(slot), layer: layer)
            own[0] = Int32(chosen.count)
            for (i, neighbor) in chosen.enumerated() { own[1 + i] = neighbor.slot }
            chosenByLayer.append((layer, chosen))
            if let best = found.max(by: { $0.score < $1.score }) { current = best }
        }
        // Phase 2: back links, pruned with the heuristic when a list is full. From here on other
        // threads may add links to the new node too, under its lock.
        for (layer, chosen) in chosenByLayer {
            let limit = layer == 0 ? s.m0 : s.m
            for neighbor in chosen {
                connect(neighbor.slot, to: slot, score: neighbor.score, layer: layer, limit: limit)
            }
        }
        if level > topLevel {
            s.entryLock.withLock(0) {
                if level > s.maxLevel {
                    s.maxLevel = level
                    s.entryPoint = slot
                }
            }
        }
    }

    /// Adds the back link `node → newNode` on `layer`, under `node`'s stripe while building in parallel.
    private func connect(_ node: Int32, to newNode: Int32, score: Float, layer: Int, limit: Int) {
        if locking {
            storage.lockStripes.withLock(Int(node)) { link(node, to: newNode, score: score, layer: layer, limit: limit) }
        } else {
            link(node, to: newNode, score: score, layer: layer, limit: limit)
        }
    }

    /// Appends `newNode` to `node`'s list, or, when the list is full, re-selects the list from
    /// its members and `newNode` with the heuristic.
    private func link(_ node: Int32, to newNode: Int32, score: Float, layer: Int, limit: Int) {
        let s = storage
        let list = s.links(Int(node), layer: layer)
        let n = Int(list[0])
        for i in 0..<n where list[1 + i] == newNode { return }
        if n < limit {
            list[1 + n] = newNode
            list[0] = Int32(n + 1)
            return
        }
        let base = UnsafePointer(s.vectors + Int(node) * s.dimension)
        var candidates = [ScoredSlot(score: score, slot: newNode)]
        for i in 0..<n { candidates.append(ScoredSlot(score: s.score(base, Int(list[1 + i])), slot: list[1 + i])) }
        let kept = s.selectNeighbors(candidates, limit: limit)
        list[0] = Int32(kept.count)
        for (i, neighbor) in kept.enumerated() { list[1 + i] = neighbor.slot }
    }
}
