import Dispatch
import GantryMath

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Approximate nearest-neighbour search on a Hierarchical Navigable Small World graph
/// (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor search using
/// Hierarchical Navigable Small World graphs", TPAMI 2018; the layout follows hnswlib).
///
/// Storage (all in `HNSWStorage`, flat buffers indexed by slot, no per-node objects):
/// - `vectors`: `capacity × dimension` floats, row-major; slot i's vector at `i * dimension`.
/// - `links0`: layer-0 neighbour lists, fixed stride `1 + 2M`: `[count, n₁ … n₂M]` (Int32 slots).
/// - `upper[i]`: for a node of level L ≥ 1, one block of `L × (1 + M)` Int32s, layer l's list
///   at `(l − 1) × (1 + M)`; nil for level-0 nodes (most of them).
/// - `levels`, `deleted` (tombstones): one byte per slot.
/// Scores are similarities (inner products; cosine on normalised vectors): higher is closer.
///
/// Concurrency: searches on one value may run on any number of threads (each borrows its
/// visited set and heaps from a pool). `add(contentsOf:)` builds with all cores, guarding each
/// neighbour list with a striped lock; mutation otherwise needs exclusive access, as for any value.
public struct HNSWIndex: VectorIndex {
    /// Graph parameters.
    public struct Parameters: Sendable, Equatable {
        /// Neighbours per node on upper layers; layer 0 keeps 2·M. 16 suits 384-d embeddings.
        public var m: Int
        /// Candidate list size while inserting: higher builds a better graph, more slowly.
        public var efConstruction: Int
        /// Default candidate list size while searching (per query: `search(_:k:ef:filter:)`).
        public var efSearch: Int
        /// Seed of the level generator: the same seed and insertion order give the same graph.
        public var seed: UInt64

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

    public let dimension: Int
    public let metric: Metric
    public let modelIdentity: String
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

    /// Bytes the index holds: vectors, neighbour lists, levels, tombstones and ids (not counting
    /// allocator overhead or the per-thread search scratch).
    public var memoryFootprint: Int {
        let s = storage
        var upperBytes = 0
        for slot in 0..<s.count { upperBytes += Int(s.levels[slot]) * s.strideUpper * 4 }
        return s.capacity * (dimension * 4 + s.stride0 * 4 + 2 + MemoryLayout<UnsafeMutablePointer<Int32>?>.stride)
            + upperBytes + idMap.memoryFootprint
    }

    /// Tombstoned vectors still held in the graph; `compact()` drops them.
    public var tombstoneCount: Int { storage.deletedCount }

    public func contains(_ id: VectorID) -> Bool { idMap.slot(of: id) != nil }

    // MARK: adding

    public mutating func add(_ vector: some ContiguousFloats, id: VectorID) throws(IndexError) {
        try VectorCheck.validate(vector, dimension: dimension, metric: metric)
        let row = vector.withUnsafeBufferPointer { Array($0) }
        try add(contentsOf: try! Matrix(rows: 1, cols: dimension, values: row), ids: [id], threads: 1)
    }

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
        for id in newIDs { idMap.append(id) }

        var start = first
        if storage.entryPoint < 0 {  // the first node is the entry point; it needs no links
            storage.entryPoint = Int32(first)
            storage.maxLevel = Int(storage.levels[first])
            start += 1
        }
        let workers = max(1, min(threads ?? ProcessInfo.activeCores, storage.count - start))
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
        let workers = max(1, min(threads ?? ProcessInfo.activeCores, queries.rows / 16))
        let (index, rows) = (self, prepared)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for row in stride(from: worker, to: rows.count, by: workers) {
                results.store(index.searchPrepared(rows[row], k: k, ef: ef, filter: filter), at: row)
            }
        }
        return results.values
    }

    private func searchPrepared(_ query: [Float], k: Int, ef: Int, filter: SearchFilter?) -> [SearchResult] {
        guard k > 0, count > 0 else { return [] }
        var allowedMask: [Bool]?
        if let filter {
            let allowed = idMap.allowedSlots(filter)
            if allowed.count <= 2 * max(ef, k) * 2 * parameters.m {
                return exactSearch(query, k: k, slots: allowed)
            }
            var mask = [Bool](repeating: false, count: storage.count)
            for slot in allowed { mask[Int(slot)] = true }
            allowedMask = mask
        }
        let hits = query.withUnsafeBufferPointer { q in
            storage.search(q.baseAddress!, k: k, ef: max(ef, k), allowed: allowedMask)
        }
        return hits.map { SearchResult(id: idMap.ids[Int($0.slot)], score: $0.score) }
    }

    private func exactSearch(_ query: [Float], k: Int, slots: [Int32]) -> [SearchResult] {
        let live = slots.filter { storage.deleted[Int($0)] == 0 }
        var scores = [Float](repeating: 0, count: live.count)
        query.withUnsafeBufferPointer { q in
            for (i, slot) in live.enumerated() { scores[i] = storage.score(q.baseAddress!, Int(slot)) }
        }
        return SIMDKernels.topK(scores, k: k).map { SearchResult(id: idMap.ids[Int(live[$0.index])], score: $0.score) }
    }
}

// MARK: - Storage and the algorithm

/// A (score, slot) pair in the search heaps.
struct ScoredSlot {
    var score: Float
    var slot: Int32
}

/// The graph's buffers. Owned by one `HNSWIndex` value (copied on write); during a parallel
/// build the workers share it, each neighbour list guarded by its lock stripe.
final class HNSWStorage: @unchecked Sendable {
    let dimension: Int
    let m: Int
    let m0: Int
    var count = 0
    var capacity = 0
    var vectors: UnsafeMutablePointer<Float>
    var links0: UnsafeMutablePointer<Int32>
    var upper: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>
    var levels: UnsafeMutablePointer<UInt8>
    var deleted: UnsafeMutablePointer<UInt8>
    var deletedCount = 0
    var entryPoint: Int32 = -1
    var maxLevel = -1
    let scratch = ScratchPool()

    var stride0: Int { 1 + m0 }
    var strideUpper: Int { 1 + m }

    init(dimension: Int, m: Int) {
        self.dimension = dimension
        self.m = m
        m0 = 2 * m
        vectors = .allocate(capacity: 1)
        links0 = .allocate(capacity: 1)
        upper = .allocate(capacity: 1)
        levels = .allocate(capacity: 1)
        deleted = .allocate(capacity: 1)
    }

    deinit {
        for slot in 0..<count { upper[slot]?.deallocate() }
        vectors.deallocate()
        links0.deallocate()
        upper.deallocate()
        levels.deallocate()
        deleted.deallocate()
    }

    /// A deep copy (copy-on-write of the owning value).
    func copy() -> HNSWStorage {
        let other = HNSWStorage(dimension: dimension, m: m)
        other.reserve(count)
        other.vectors.update(from: vectors, count: count * dimension)
        other.links0.update(from: links0, count: count * stride0)
        other.levels.update(from: levels, count: count)
        other.deleted.update(from: deleted, count: count)
        for slot in 0..<count {
            if let block = upper[slot] {
                let size = Int(levels[slot]) * strideUpper
                let copy = UnsafeMutablePointer<Int32>.allocate(capacity: size)
                copy.update(from: block, count: size)
                other.upper[slot] = copy
            } else {
                other.upper[slot] = nil
            }
        }
        other.count = count
        other.deletedCount = deletedCount
        other.entryPoint = entryPoint
        other.maxLevel = maxLevel
        return other
    }

    /// Grows the buffers to hold `needed` nodes (amortised doubling). Not thread-safe.
    func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity * 2, 64)
        func grow<T>(_ pointer: inout UnsafeMutablePointer<T>, _ stride: Int) {
            let bigger = UnsafeMutablePointer<T>.allocate(capacity: newCapacity * stride)
            bigger.moveInitialize(from: pointer, count: count * stride)
            pointer.deallocate()
            pointer = bigger
        }
        grow(&vectors, dimension)
        grow(&links0, stride0)
        grow(&upper, 1)
        grow(&levels, 1)
        grow(&deleted, 1)
        capacity = newCapacity
    }

    /// Appends a node with no links yet. Not thread-safe; capacity must be reserved.
    func append(_ vector: UnsafeBufferPointer<Float>, level: Int) {
        let slot = count
        (vectors + slot * dimension).update(from: vector.baseAddress!, count: dimension)
        links0[slot * stride0] = 0
        levels[slot] = UInt8(level)
        deleted[slot] = 0
        if level > 0 {
            let block = UnsafeMutablePointer<Int32>.allocate(capacity: level * strideUpper)
            for l in 0..<level { block[l * strideUpper] = 0 }
            upper[slot] = block
        } else {
            upper[slot] = nil
        }
        count += 1
    }

    func vector(_ slot: Int) -> [Float] { Array(UnsafeBufferPointer(start: vectors + slot * dimension, count: dimension)) }

    @inline(__always)
    func score(_ query: UnsafePointer<Float>, _ slot: Int) -> Float {
        SIMDKernels.dot(UnsafeBufferPointer(start: query, count: dimension),
                        UnsafeBufferPointer(start: vectors + slot * dimension, count: dimension))
    }

    /// The neighbour list of `slot` on `layer`: element 0 is the count.
    @inline(__always)
    func links(_ slot: Int, layer: Int) -> UnsafeMutablePointer<Int32> {
        layer == 0 ? links0 + slot * stride0 : upper[slot]! + (layer - 1) * strideUpper
    }

    // MARK: search

    /// Greedy descent through the upper layers, then a best-first search of layer 0 with a
    /// candidate list of `ef`; returns the best `k` live (and allowed) nodes.
    func search(_ query: UnsafePointer<Float>, k: Int, ef: Int, allowed: [Bool]?) -> [ScoredSlot] {
        guard entryPoint >= 0 else { return [] }
        let scratch = self.scratch.borrow(capacity: count)
        defer { self.scratch.giveBack(scratch) }
        var current = ScoredSlot(score: score(query, Int(entryPoint)), slot: entryPoint)
        if maxLevel > 0 {
            for layer in stride(from: maxLevel, to: 0, by: -1) {
                current = greedyClosest(query, from: current, layer: layer, scratch: scratch, locking: false)
            }
        }
        let found = allowed.map { mask in
            mask.withUnsafeBufferPointer { searchLayer(query, entry: current, ef: ef, layer: 0, scratch: scratch, locking: false, allowed: $0.baseAddress) }
        } ?? searchLayer(query, entry: current, ef: ef, layer: 0, scratch: scratch, locking: false, allowed: nil)
        return Array(found.sorted { $0.score != $1.score ? $0.score > $1.score : $0.slot < $1.slot }.prefix(k))
    }

    /// Moves to a better neighbour on `layer` until none is better.
    func greedyClosest(_ query: UnsafePointer<Float>, from start: ScoredSlot, layer: Int, scratch: Scratch,
                       locking: Bool) -> ScoredSlot {
        var best = start
        var improved = true
        let neighbours = scratch.neighbours, scores = scratch.scores
        while improved {
            improved = false
            let n = readLinks(Int(best.slot), layer: layer, into: neighbours, locking: locking)
            SIMDKernels.gatherDots(rows: vectors, slots: UnsafeBufferPointer(start: neighbours, count: n),
                                   query: UnsafeBufferPointer(start: query, count: dimension), into: scores)
            for i in 0..<n where scores[i] > best.score {
                best = ScoredSlot(score: scores[i], slot: neighbours[i])
                improved = true
            }
        }
        return best
    }

    /// Copies the neighbour list into `buffer` (under its lock while building) and returns its count.
    @inline(__always)
    func readLinks(_ slot: Int, layer: Int, into buffer: UnsafeMutablePointer<Int32>, locking: Bool) -> Int {
        if locking { lockStripes.lock(slot) }
        let list = links(slot, layer: layer)
        let n = Int(list[0])
        buffer.update(from: list + 1, count: n)
        if locking { lockStripes.unlock(slot) }
        return n
    }

    /// Best-first search of one layer from `entry` (Algorithm 2 of the paper). Nodes that are
    /// tombstoned or not allowed are traversed but not returned. Returns up to `ef` nodes.
    /// Each expansion first collects the unvisited neighbours, then scores them in one
    /// prefetching gather (`SIMDKernels.gatherDots`), so their rows load in parallel.
    func searchLayer(_ query: UnsafePointer<Float>, entry: ScoredSlot, ef: Int, layer: Int, scratch: Scratch,
                     locking: Bool, allowed: UnsafePointer<Bool>?) -> [ScoredSlot] {
        let epoch = scratch.nextEpoch()
        let visited = scratch.visited
        let neighbours = scratch.neighbours, scores = scratch.scores
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
        let queryBuffer = UnsafeBufferPointer(start: query, count: dimension)
        while let nearest = candidates.top {
            if results.count >= ef, nearest.score < results.top!.score { break }
            candidates.pop()
            let listed = readLinks(Int(nearest.slot), layer: layer, into: neighbours, locking: locking)
            var fresh = 0
            for i in 0..<listed {
                let neighbour = neighbours[i]
                guard visited[Int(neighbour)] != epoch else { continue }
                visited[Int(neighbour)] = epoch
                neighbours[fresh] = neighbour
                fresh += 1
            }
            SIMDKernels.gatherDots(rows: vectors, slots: UnsafeBufferPointer(start: neighbours, count: fresh),
                                   query: queryBuffer, into: scores)
            for i in 0..<fresh {
                let s = scores[i], neighbour = neighbours[i]
                if results.count < ef || s > results.top!.score {
                    candidates.push(ScoredSlot(score: s, slot: neighbour))
                    if deleted[Int(neighbour)] == 0 && (allowed?[Int(neighbour)] ?? true) {
                        results.push(ScoredSlot(score: s, slot: neighbour))
                        if results.count > ef { results.pop() }
                    }
                }
            }
        }
        return results.elements
    }

    /// The neighbour-selection heuristic (Algorithm 4 of the paper, as in hnswlib): take
    /// candidates best first, keeping one only if it is closer to the base than to every
    /// neighbour already kept, until `limit` are kept. Spreads links across directions.
    func selectNeighbours(_ candidates: [ScoredSlot], limit: Int) -> [ScoredSlot] {
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

    // MARK: build-time locks

    let lockStripes = LockStripes(count: 4096)
    let entryLock = LockStripes(count: 1)
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
        if locking { s.entryLock.lock(0) }
        let entry = s.entryPoint
        let topLevel = s.maxLevel
        if locking { s.entryLock.unlock(0) }

        let scratch = s.scratch.borrow(capacity: s.count)
        defer { s.scratch.giveBack(scratch) }
        var current = ScoredSlot(score: s.score(query, Int(entry)), slot: entry)
        if topLevel > level {
            for layer in stride(from: topLevel, to: level, by: -1) {
                current = s.greedyClosest(query, from: current, layer: layer, scratch: scratch, locking: locking)
            }
        }
        // Phase 1: choose and write the new node's own lists on every layer. Nobody links to it
        // yet, so no other thread can reach (or edit) these lists while they are written.
        var chosenByLayer = [(layer: Int, neighbours: [ScoredSlot])]()
        for layer in stride(from: min(level, topLevel), through: 0, by: -1) {
            let found = s.searchLayer(query, entry: current, ef: efConstruction, layer: layer, scratch: scratch,
                                      locking: locking, allowed: nil)
                .filter { $0.slot != slot }
            let chosen = s.selectNeighbours(found, limit: s.m)
            let own = s.links(Int(slot), layer: layer)
            own[0] = Int32(chosen.count)
            for (i, neighbour) in chosen.enumerated() { own[1 + i] = neighbour.slot }
            chosenByLayer.append((layer, chosen))
            if let best = found.max(by: { $0.score < $1.score }) { current = best }
        }
        // Phase 2: back links, pruned with the heuristic when a list is full. From here on other
        // threads may add links to the new node too, under its lock.
        for (layer, chosen) in chosenByLayer {
            let limit = layer == 0 ? s.m0 : s.m
            for neighbour in chosen {
                connect(neighbour.slot, to: slot, score: neighbour.score, layer: layer, limit: limit)
            }
        }
        if level > topLevel {
            if locking { s.entryLock.lock(0) }
            if level > s.maxLevel {
                s.maxLevel = level
                s.entryPoint = slot
            }
            if locking { s.entryLock.unlock(0) }
        }
    }

    private func connect(_ node: Int32, to newNode: Int32, score: Float, layer: Int, limit: Int) {
        let s = storage
        if locking { s.lockStripes.lock(Int(node)) }
        defer { if locking { s.lockStripes.unlock(Int(node)) } }
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
        let kept = s.selectNeighbours(candidates, limit: limit)
        list[0] = Int32(kept.count)
        for (i, neighbour) in kept.enumerated() { list[1 + i] = neighbour.slot }
    }
}

/// A binary heap of scored slots, best-first (`maxOnTop`) or worst-first.
struct BinaryHeap {
    private(set) var elements: [ScoredSlot] = []
    let maxOnTop: Bool

    init(maxOnTop: Bool) { self.maxOnTop = maxOnTop }

    var count: Int { elements.count }
    var top: ScoredSlot? { elements.first }

    @inline(__always)
    private func above(_ a: ScoredSlot, _ b: ScoredSlot) -> Bool { maxOnTop ? a.score > b.score : a.score < b.score }

    mutating func push(_ element: ScoredSlot) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard above(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        let last = elements.removeLast()
        guard !elements.isEmpty else { return }
        elements[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < elements.count, above(elements[left], elements[best]) { best = left }
            if right < elements.count, above(elements[right], elements[best]) { best = right }
            if best == parent { return }
            elements.swapAt(parent, best)
            parent = best
        }
    }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}

/// Per-search working memory: an epoch-stamped visited set (no clearing between searches)
/// and the heaps, reused across searches.
final class Scratch {
    var visited: UnsafeMutablePointer<UInt32>
    var capacity: Int
    var epoch: UInt32 = 0
    var candidates = BinaryHeap(maxOnTop: true)
    var results = BinaryHeap(maxOnTop: false)
    /// One neighbour list (at most 2·1024 links) and its scores.
    let neighbours = UnsafeMutablePointer<Int32>.allocate(capacity: 2048)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: 2048)

    init(capacity: Int) {
        self.capacity = capacity
        visited = .allocate(capacity: max(capacity, 1))
        visited.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit {
        visited.deallocate()
        neighbours.deallocate()
        scores.deallocate()
    }

    func ensure(_ needed: Int) {
        guard needed > capacity else { return }
        visited.deallocate()
        capacity = max(needed, capacity * 2)
        visited = .allocate(capacity: capacity)
        visited.initialize(repeating: 0, count: capacity)
        epoch = 0
    }

    /// A fresh stamp; on wrap-around the set is cleared once.
    func nextEpoch() -> UInt32 {
        if epoch == .max {
            visited.update(repeating: 0, count: capacity)
            epoch = 0
        }
        epoch += 1
        return epoch
    }
}

/// Scratch objects handed to one search at a time. Rule: `borrow` and `giveBack` under the
/// mutex; a borrowed scratch belongs to its search alone.
final class ScratchPool: @unchecked Sendable {
    private var free: [Scratch] = []
    private let lock = LockStripes(count: 1)

    func borrow(capacity: Int) -> Scratch {
        lock.lock(0)
        let scratch = free.popLast()
        lock.unlock(0)
        let result = scratch ?? Scratch(capacity: capacity)
        result.ensure(capacity)
        return result
    }

    func giveBack(_ scratch: Scratch) {
        lock.lock(0)
        free.append(scratch)
        lock.unlock(0)
    }
}

/// A fixed set of pthread mutexes; key `i` maps to stripe `i % count`.
final class LockStripes: @unchecked Sendable {
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>
    private let count: Int

    init(count: Int) {
        self.count = count
        mutexes = .allocate(capacity: count)
        for i in 0..<count { pthread_mutex_init(mutexes + i, nil) }
    }

    deinit {
        for i in 0..<count { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    @inline(__always) func lock(_ key: Int) { pthread_mutex_lock(mutexes + key % count) }
    @inline(__always) func unlock(_ key: Int) { pthread_mutex_unlock(mutexes + key % count) }
}

/// Results written by parallel workers, one slot each. Rule: each index is written by one
/// worker exactly once, and read only after `concurrentPerform` returns.
final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[SearchResult]>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: [], count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ value: [SearchResult], at index: Int) { slots[index] = value }

    var values: [[SearchResult]] { Array(UnsafeBufferPointer(start: slots, count: count)) }
}

enum ProcessInfo {
    /// Cores this process may use.
    static var activeCores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
