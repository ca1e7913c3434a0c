import GantryKernels

/// Keeps the `k` best (index, score) pairs of a stream of scores in O(k) memory:
/// higher score first, ties broken by the lower index, NaN never kept.
///
/// Scores are screened 16 at a time against the floor while the selection fills, then against
/// the worst kept score (one vector compare per block), so offering n scores costs O(n) plus
/// O(log k) per pair that enters. A non-copyable value with one allocation, freed when it goes
/// out of scope.
public struct TopKSelection: ~Copyable {
    /// The number of pairs kept at most.
    public let k: Int
    @usableFromInline var state: gk_topk
    private let block: UnsafeMutableRawPointer

    /// A selection of the best `k` pairs scoring at least `floor` (every score but NaN by
    /// default); `k` may exceed the number of scores offered.
    public init(k: Int, atLeast floor: Float = -.infinity) {
        precondition(k >= 0, "k must not be negative")
        self.k = k
        // One block: k Int64 indices, then k Float scores (8-byte alignment first).
        block = .allocate(byteCount: max(k, 1) * 12, alignment: 8)
        let indices = block.bindMemory(to: Int64.self, capacity: max(k, 1))
        let scores = (block + max(k, 1) * 8).bindMemory(to: Float.self, capacity: max(k, 1))
        state = gk_topk(scores: scores, ids: indices, count: 0, capacity: k, floor: floor)
    }

    deinit { block.deallocate() }

    /// The number of pairs kept so far.
    public var count: Int { state.count }

    /// Offers `scores[i]` as index `firstIndex + i`.
    public mutating func offer(scores newScores: UnsafeBufferPointer<Float>, firstIndex: Int = 0) {
        gk_topk_push_scores(&state, newScores.baseAddress, newScores.count, Int64(firstIndex))
    }

    /// Offers the inner products of `query` with each row of `rows` (row-major,
    /// `rows.count / query.count` rows) as indices `firstIndex + row`, without materialising
    /// the scores: the fused scan of a flat index.
    public mutating func offerInnerProducts(
        rows: UnsafeBufferPointer<Float>, query: UnsafeBufferPointer<Float>, firstIndex: Int = 0
    ) {
        let dimension = query.count
        precondition(dimension > 0 ? rows.count % dimension == 0 : rows.isEmpty,
                     "rows hold \(rows.count) floats, not a multiple of the dimension \(dimension)")
        let count = dimension > 0 ? rows.count / dimension : 0
        gk_topk_push_dots(&state, rows.baseAddress, count, dimension, query.baseAddress, Int64(firstIndex))
    }

    /// The kept pairs, best first, each passed through `transform(index, score)`.
    @inlinable
    public consuming func finish<T>(_ transform: (Int, Float) throws -> T) rethrows -> [T] {
        gk_topk_finish(&state)
        var result = [T]()
        result.reserveCapacity(state.count)
        for i in 0..<state.count { result.append(try transform(Int(state.ids[i]), state.scores[i])) }
        return result
    }

    /// The kept pairs, best first.
    public consuming func finish() -> [ScoredIndex] {
        finish { ScoredIndex(index: $0, score: $1) }
    }
}
