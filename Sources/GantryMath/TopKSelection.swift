import GantryKernels

/// A scored position: `index` is a row or element number, `score` its similarity.
public struct ScoredIndex: Hashable, Sendable {
    public var index: Int
    public var score: Float

    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}

/// Keeps the `k` best (index, score) pairs of a stream of scores in O(k) memory:
/// higher score first, ties broken by the lower index, NaN never kept.
///
/// Scores are screened 16 at a time against the worst kept score (one vector compare per
/// block), so offering n scores costs O(n) plus O(log k) per pair that enters. A
/// non-copyable value with one allocation, freed when it goes out of scope.
public struct TopKSelection: ~Copyable {
    /// The number of pairs kept at most.
    public let k: Int
    @usableFromInline var state: gk_topk
    private let block: UnsafeMutableRawPointer

    /// A selection of the best `k` pairs; `k` may exceed the number of scores offered.
    public init(k: Int) {
        precondition(k >= 0, "k must not be negative")
        self.k = k
        // One block: k Int64 indices, then k Float scores (8-byte alignment first).
        block = .allocate(byteCount: max(k, 1) * 12, alignment: 8)
        let indices = block.bindMemory(to: Int64.self, capacity: max(k, 1))
        let scores = (block + max(k, 1) * 8).bindMemory(to: Float.self, capacity: max(k, 1))
        state = gk_topk(scores: scores, ids: indices, count: 0, capacity: k)
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

extension SIMDKernels {
    /// The `k` highest scores with their positions, best first (ties: lower position first;
    /// NaN skipped). `k` larger than `scores.count` returns every non-NaN score.
    public static func topK(_ scores: some ContiguousFloats, k: Int) -> [ScoredIndex] {
        var selection = TopKSelection(k: k)
        scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
        return selection.finish()
    }
}

/// `count` independent top-k selections in one allocation: one per query of a batch whose
/// scores arrive tile by tile (`offer(scores:firstIndex:for:)`), as in tiled batched search.
public struct TopKSelections: ~Copyable {
    /// The number of pairs each selection keeps at most.
    public let k: Int
    @usableFromInline var states: [gk_topk]
    private let block: UnsafeMutableRawPointer

    public init(count: Int, k: Int) {
        precondition(k >= 0 && count >= 0, "k and count must not be negative")
        self.k = k
        let slots = max(k, 1)
        block = .allocate(byteCount: max(count, 1) * slots * 12, alignment: 8)
        let indices = block.bindMemory(to: Int64.self, capacity: max(count, 1) * slots)
        let scores = (block + max(count, 1) * slots * 8).bindMemory(to: Float.self, capacity: max(count, 1) * slots)
        states = (0..<count).map { gk_topk(scores: scores + $0 * slots, ids: indices + $0 * slots, count: 0, capacity: k) }
    }

    deinit { block.deallocate() }

    /// Offers `scores[i]` as index `firstIndex + i` to selection `selection`.
    public mutating func offer(scores: UnsafeBufferPointer<Float>, firstIndex: Int, for selection: Int) {
        states.withUnsafeMutableBufferPointer { gk_topk_push_scores(&$0[selection], scores.baseAddress, scores.count, Int64(firstIndex)) }
    }

    /// Every selection's pairs, best first, each passed through `transform(selection, index, score)`.
    @inlinable
    public consuming func finish<T>(_ transform: (Int, Int, Float) throws -> T) rethrows -> [[T]] {
        var result = [[T]]()
        result.reserveCapacity(states.count)
        for s in states.indices {
            gk_topk_finish(&states[s])
            let state = states[s]
            var row = [T]()
            row.reserveCapacity(state.count)
            for i in 0..<state.count { row.append(try transform(s, Int(state.ids[i]), state.scores[i])) }
            result.append(row)
        }
        return result
    }
}
