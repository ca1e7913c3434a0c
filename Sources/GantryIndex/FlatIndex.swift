import GantryMath

/// Exact search over contiguous vectors.
///
/// Storage: `vectors` holds `count` rows of `dimension` floats, row-major (row stride =
/// `dimension`), in insertion order; `ids` maps each row to its `VectorID`. A single query is
/// one fused pass of the SIMD dot kernel with top-k selection (no score array); a batch is
/// sgemm into score tiles of at most `tileBytes` plus a top-k per query. Results equal a naive
/// scan, ties going to the earlier-inserted vector.
public struct FlatIndex: VectorIndex {
    public let dimension: Int
    public let metric: Metric
    public let modelIdentity: String
    var vectors: [Float] = []
    var idMap = IDMap()

    /// The score-tile budget of batched search: memory stays bounded whatever the index size.
    static let tileBytes = 32 << 20

    /// An empty index of `dimension`-long vectors.
    public init(dimension: Int, metric: Metric = .cosine, modelIdentity: String = "") throws(IndexError) {
        guard dimension > 0 else { throw .invalidParameter("dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.metric = metric
        self.modelIdentity = modelIdentity
    }

    public var count: Int { idMap.count }

    /// The ids in row order.
    public var ids: [VectorID] { idMap.ids }

    public func contains(_ id: VectorID) -> Bool { idMap.slot(of: id) != nil }

    /// The stored (for cosine: normalised) vector of `id`.
    public func vector(of id: VectorID) -> [Float]? {
        idMap.slot(of: id).map { Array(vectors[Int($0) * dimension..<(Int($0) + 1) * dimension]) }
    }

    public mutating func add(_ vector: some ContiguousFloats, id: VectorID) throws(IndexError) {
        try idMap.checkNew([id])
        let prepared = try VectorCheck.prepare(vector, dimension: dimension, metric: metric, row: 0)
        vectors.append(contentsOf: prepared)
        idMap.append(id)
    }

    public mutating func add(contentsOf batch: Matrix, ids newIDs: [VectorID]) throws(IndexError) {
        guard batch.rows == newIDs.count else { throw .idCountMismatch(rows: batch.rows, ids: newIDs.count) }
        guard batch.cols == dimension || batch.rows == 0 else { throw .dimensionMismatch(expected: dimension, found: batch.cols) }
        try idMap.checkNew(newIDs)
        var prepared = [Float]()
        prepared.reserveCapacity(batch.rows * dimension)
        for row in 0..<batch.rows {
            prepared += try VectorCheck.prepare(batch.row(row), dimension: dimension, metric: metric, row: row)
        }
        vectors.append(contentsOf: prepared)
        for id in newIDs { idMap.append(id) }
    }

    public mutating func remove(_ id: VectorID) throws(IndexError) {
        guard let slot = idMap.slot(of: id).map(Int.init) else { throw .unknownID(id) }
        vectors.removeSubrange(slot * dimension..<(slot + 1) * dimension)
        idMap.compact(removing: [slot])
    }

    public func search(_ query: some ContiguousFloats, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        try checkK(k)
        let q = try VectorCheck.prepare(query, dimension: dimension, metric: metric, row: 0)
        let selection = TopKSelection(k: k)
        if let filter {
            let allowed = idMap.allowedSlots(filter)
            var scores = [Float](repeating: 0, count: allowed.count)
            vectors.withUnsafeBufferPointer { rows in
                q.withUnsafeBufferPointer { qp in
                    for (i, slot) in allowed.enumerated() {
                        let start = Int(slot) * dimension
                        scores[i] = SIMDKernels.dot(UnsafeBufferPointer(rebasing: rows[start..<start + dimension]), qp)
                    }
                }
            }
            scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
            return selection.finish().map { SearchResult(id: idMap.ids[Int(allowed[$0.index])], score: $0.score) }
        }
        vectors.withUnsafeBufferPointer { rows in
            q.withUnsafeBufferPointer { selection.offerInnerProducts(rows: rows, query: $0) }
        }
        return selection.finish().map { SearchResult(id: idMap.ids[$0.index], score: $0.score) }
    }

    public func search(queries: Matrix, k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [[SearchResult]] {
        try checkK(k)
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
        // Candidate rows: all, or the allowed ones gathered in order.
        let allowed = filter.map { idMap.allowedSlots($0) }
        let candidateCount = allowed?.count ?? count
        let selections = (0..<queries.rows).map { _ in TopKSelection(k: k) }
        let tileRows = max(256, min(candidateCount, Self.tileBytes / 4 / max(queries.rows, 1)))
        var tileStart = 0
        while tileStart < candidateCount, queries.rows > 0 {
            let tileCount = min(tileRows, candidateCount - tileStart)
            let tile: Matrix
            if let allowed {
                var gathered = [Float]()
                gathered.reserveCapacity(tileCount * dimension)
                for slot in allowed[tileStart..<tileStart + tileCount] {
                    gathered += vectors[Int(slot) * dimension..<(Int(slot) + 1) * dimension]
                }
                tile = try! Matrix(rows: tileCount, cols: dimension, values: gathered)
            } else {
                tile = try! Matrix(rows: tileCount, cols: dimension,
                                   values: Array(vectors[tileStart * dimension..<(tileStart + tileCount) * dimension]))
            }
            var scores = Matrix(rows: queries.rows, cols: tileCount)
            do {
                try Matrix.gemm(prepared, tile, transposeB: true, into: &scores)
            } catch {
                throw .invalidParameter("batched search needs BLAS: \(error)")
            }
            scores.withUnsafeBufferPointer { all in
                for (q, selection) in selections.enumerated() {
                    selection.offer(scores: UnsafeBufferPointer(rebasing: all[q * tileCount..<(q + 1) * tileCount]),
                                    firstIndex: tileStart)
                }
            }
            tileStart += tileCount
        }
        return selections.map { selection in
            selection.finish().map { hit in
                let slot = allowed.map { Int($0[hit.index]) } ?? hit.index
                return SearchResult(id: idMap.ids[slot], score: hit.score)
            }
        }
    }

    private func checkK(_ k: Int) throws(IndexError) {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
    }
}
