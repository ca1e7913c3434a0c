import GantryMath

/// Exact search over contiguous vectors.
///
/// Storage: `vectors` holds `count` rows of `dimension` floats, row-major (row stride =
/// `dimension`), in insertion order, in memory advised for huge pages once it is large
/// (`HugePageFloats`); `ids` maps each row to its `VectorID`. A single query is
/// one fused pass of the SIMD dot kernel with top-k selection (no score array); a batch is
/// sgemm into score tiles of at most `tileBytes` plus a top-k per query. Results equal a naive
/// scan, ties going to the earlier-inserted vector.
public struct FlatIndex: VectorIndex {
    /// The length of every vector (at least 1).
    public let dimension: Int
    /// How scores are computed; under `.cosine` vectors are stored normalized.
    public let metric: Metric
    /// The embedding model that made the vectors, written into saved files and checked by
    /// `load(from:expectedModel:)`; empty when not given.
    public var modelIdentity: String
    var vectors = HugePageFloats()
    var idMap = IDMap()

    /// The score-tile budget of batched search: memory stays bounded whatever the index size,
    /// and a tile of scores stays in the last-level cache for the top-k pass that follows.
    static let tileBytes = 8 << 20

    /// An empty index of `dimension`-long vectors.
    public init(dimension: Int, metric: Metric = .cosine, modelIdentity: String = "") throws(IndexError) {
        guard dimension > 0 else { throw .invalidParameter("dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.metric = metric
        self.modelIdentity = modelIdentity
    }

    /// The number of vectors held (a removed vector is gone at once: there are no tombstones).
    public var count: Int { idMap.count }

    /// Bytes the index holds: vectors and ids (not counting allocator overhead).
    public var memoryFootprint: Int { vectors.capacity * 4 + idMap.memoryFootprint }

    /// The ids in row order.
    public var ids: [VectorID] { idMap.ids }

    /// Whether `id` is indexed (a hash lookup).
    public func contains(_ id: VectorID) -> Bool { idMap.slot(of: id) != nil }

    /// The stored vector of `id` (for cosine: the normalized one); nil for an unknown or removed id.
    public func vector(of id: VectorID) -> [Float]? {
        idMap.slot(of: id).map { slot in vectors.withUnsafeBufferPointer { Array($0[Int(slot) * dimension..<(Int(slot) + 1) * dimension]) } }
    }

    /// Appends one vector (normalized first under `.cosine`). Throws `IndexError.duplicateID`,
    /// `.dimensionMismatch`, `.nonFiniteVector` or, under cosine, `.zeroVector`; nothing is added
    /// then.
    public mutating func add(_ vector: some ContiguousFloats, id: VectorID) throws(IndexError) {
        try idMap.checkNew([id])
        let prepared = try VectorCheck.prepare(vector, dimension: dimension, metric: metric, row: 0)
        vectors.append(contentsOf: prepared)
        idMap.append(id)
    }

    /// Appends one vector per row of `batch` with the id at the same position, all or nothing:
    /// every row and id is checked (lengths, finiteness, zero rows under cosine, ids new and
    /// distinct) before any is stored. Throws `IndexError.idCountMismatch` when `ids` has another
    /// length than `batch` has rows.
    public mutating func add(contentsOf batch: Matrix, ids newIDs: [VectorID]) throws(IndexError) {
        guard batch.rows == newIDs.count else { throw .idCountMismatch(rows: batch.rows, ids: newIDs.count) }
        try VectorCheck.validate(batch, dimension: dimension, metric: metric)
        try idMap.checkNew(newIDs)
        let start = vectors.count
        vectors.append(contentsOf: batch.values)
        if metric == .cosine {
            vectors.withUnsafeMutableBufferPointer { VectorCheck.normalizeRows(UnsafeMutableBufferPointer(rebasing: $0[start...]), dimension: dimension) }
        }
        for id in newIDs { idMap.append(id) }
    }

    /// Removes `id` and its vector at once, shifting the rows after it: O(count · dimension).
    /// Throws `IndexError.unknownID` if `id` is not indexed.
    public mutating func remove(_ id: VectorID) throws(IndexError) {
        guard let slot = idMap.slot(of: id).map(Int.init) else { throw .unknownID(id) }
        vectors.removeSubrange(slot * dimension..<(slot + 1) * dimension)
        idMap.compact(removing: [slot])
    }

    /// The `k` highest-scoring vectors (fewer if fewer are indexed or allowed), best first, ties to
    /// the earlier-inserted vector: exact, one fused SIMD pass over all `count × dimension` floats
    /// (or a gather of the allowed rows under `filter`). Throws `IndexError.invalidParameter` for a
    /// negative `k`, `.dimensionMismatch` or `.nonFiniteVector` for a bad query, `.zeroVector` for a
    /// zero query under cosine.
    public func search(_ query: some ContiguousFloats, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        let ids = idMap.ids
        return try searchSlots(query, k: k, filter: filter).map { SearchResult(id: ids[$0.index], score: $0.score) }
    }

    /// `search(_:k:filter:)` answering with slots (rows: `slotIDs`) instead of ids: for
    /// linking hits to another index by position (see `slot(of:)`), without hashing ids.
    public func searchSlots(_ query: some ContiguousFloats, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [ScoredIndex] {
        try checkK(k)
        let k = min(k, count)  // a k past the vectors held allocates nothing for it
        // Inner product: score the caller's buffer in place once it is validated; cosine:
        // a normalized copy.
        let normalized: [Float]? = metric == .cosine
            ? try VectorCheck.prepare(query, dimension: dimension, metric: metric, row: 0)
            : nil
        if normalized == nil { try VectorCheck.validate(query, dimension: dimension) }
        if case .excluding(let excluded) = filter {
            // The unfiltered pass, keeping enough hits that k remain once the excluded are dropped.
            var selection = TopKSelection(k: k + excluded.count)
            withQuery(query, normalized) { q in
                vectors.withUnsafeBufferPointer { selection.offerInnerProducts(rows: $0, query: q) }
            }
            let ids = idMap.ids
            return Array(selection.finish().lazy.filter { !excluded.contains(ids[$0.index]) }.prefix(k))
        }
        var selection = TopKSelection(k: k)
        if let filter {
            let allowed = idMap.allowedSlots(filter)
            var scores = [Float](repeating: 0, count: allowed.count)
            withQuery(query, normalized) { q in
                vectors.withUnsafeBufferPointer { rows in
                    allowed.withUnsafeBufferPointer { slots in
                        scores.withUnsafeMutableBufferPointer {
                            SIMDKernels.gatherDots(rows: rows.baseAddress!, slots: slots, query: q, into: $0.baseAddress!)
                        }
                    }
                }
            }
            scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
            return selection.finish { ScoredIndex(index: Int(allowed[$0]), score: $1) }
        }
        withQuery(query, normalized) { q in
            vectors.withUnsafeBufferPointer { selection.offerInnerProducts(rows: $0, query: q) }
        }
        return selection.finish()
    }

    // MARK: slots

    /// The slot (row) of `id`, nil when it is not indexed. A slot is a position in this value of
    /// the index, valid until its next change (a removal shifts the rows after it): two indexes
    /// of the same ids can be linked slot to slot once, then meet by position.
    public func slot(of id: VectorID) -> Int? { idMap.slot(of: id).map(Int.init) }

    /// The id at every slot: `ids` (a flat index keeps no tombstones).
    public var slotIDs: [VectorID] { idMap.ids }

    /// `body` of every slot's stored vector, read in place: `dimension` floats per slot, in slot
    /// order. The buffer is valid only inside `body`.
    public func withSlotVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try vectors.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the normalized copy if there is one, else the caller's buffer.
    private func withQuery(_ query: some ContiguousFloats, _ normalized: [Float]?, _ body: (UnsafeBufferPointer<Float>) -> Void) {
        if let normalized { normalized.withUnsafeBufferPointer(body) } else { query.withUnsafeBufferPointer(body) }
    }

    /// `search(_:k:filter:)` for every row of `queries`, as sgemm over tiles of at most 8 MiB of
    /// scores followed by a top-k per query: the results equal the single-query ones. Throws like
    /// the single search (the row of a bad query is in the error), and `.invalidParameter` when
    /// BLAS is not available.
    public func search(queries: Matrix, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [[SearchResult]] {
        try checkK(k)
        let k = min(k, count)
        guard queries.cols == dimension || queries.rows == 0 else {
            throw .dimensionMismatch(expected: dimension, found: queries.cols)
        }
        var prepared = queries
        if metric == .cosine || queries.firstNonFinite() != nil {
            var rows = [Float]()
            rows.reserveCapacity(queries.rows * dimension)
            for row in 0..<queries.rows {
                rows += try VectorCheck.prepare(queries.row(row), dimension: dimension, metric: metric, row: row)
            }
            prepared = try! Matrix(rows: queries.rows, cols: dimension, values: rows)
        }
        // Candidate rows: all (read in place), or the allowed ones gathered in order, one tile
        // at a time; one score buffer is reused for every tile.
        let allowed = filter.map { idMap.allowedSlots($0) }
        let candidateCount = allowed?.count ?? count
        var selections = TopKSelections(count: queries.rows, k: k)
        let tileRows = max(256, min(candidateCount, Self.tileBytes / 4 / max(queries.rows, 1)))
        var scores = Matrix(rows: queries.rows, cols: tileRows)
        var gathered = [Float]()
        var tileStart = 0
        while tileStart < candidateCount, queries.rows > 0 {
            let tileCount = min(tileRows, candidateCount - tileStart)
            if tileCount < scores.cols { scores = Matrix(rows: queries.rows, cols: tileCount) }
            do {
                if let allowed {
                    gathered.removeAll(keepingCapacity: true)
                    vectors.withUnsafeBufferPointer { rows in
                        for slot in allowed[tileStart..<tileStart + tileCount] {
                            gathered += rows[Int(slot) * dimension..<(Int(slot) + 1) * dimension]
                        }
                    }
                    try gathered.withUnsafeBufferPointer { (tile) throws(MathError) in
                        try Matrix.gemm(prepared, transposedRows: tile, rows: tileCount, into: &scores)
                    }
                } else {
                    try vectors.withUnsafeBufferPointer { (all) throws(MathError) in
                        let tile = UnsafeBufferPointer(rebasing: all[tileStart * dimension..<(tileStart + tileCount) * dimension])
                        try Matrix.gemm(prepared, transposedRows: tile, rows: tileCount, into: &scores)
                    }
                }
            } catch {
                throw .invalidParameter("batched search needs BLAS: \(error)")
            }
            scores.withUnsafeBufferPointer { all in
                for q in 0..<queries.rows {
                    selections.offer(scores: UnsafeBufferPointer(rebasing: all[q * tileCount..<(q + 1) * tileCount]),
                                     firstIndex: tileStart, for: q)
                }
            }
            tileStart += tileCount
        }
        let ids = idMap.ids
        return selections.finish { _, index, score in
            SearchResult(id: ids[allowed.map { Int($0[index]) } ?? index], score: score)
        }
    }

    private func checkK(_ k: Int) throws(IndexError) {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
    }
}
