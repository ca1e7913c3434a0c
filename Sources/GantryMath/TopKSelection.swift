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
/// block), so offering n scores costs O(n) plus O(log k) per pair that enters.
/// Not thread-safe: use one selection per thread.
public final class TopKSelection {
    /// The number of pairs kept at most.
    public let k: Int
    private let scores: UnsafeMutablePointer<Float>
    private let indices: UnsafeMutablePointer<Int64>
    private var state: gk_topk
    private var finished = false

    /// A selection of the best `k` pairs; `k` may exceed the number of scores offered.
    public init(k: Int) {
        precondition(k >= 0, "k must not be negative")
        self.k = k
        scores = .allocate(capacity: max(k, 1))
        indices = .allocate(capacity: max(k, 1))
        state = gk_topk(scores: scores, ids: indices, count: 0, capacity: k)
    }

    deinit {
        scores.deallocate()
        indices.deallocate()
    }

    /// The number of pairs kept so far.
    public var count: Int { state.count }

    /// Offers `scores[i]` as index `firstIndex + i`.
    public func offer(scores newScores: UnsafeBufferPointer<Float>, firstIndex: Int = 0) {
        precondition(!finished, "a finished selection cannot take more scores")
        gk_topk_push_scores(&state, newScores.baseAddress, newScores.count, Int64(firstIndex))
    }

    /// Offers the inner products of `query` with each row of `rows` (row-major,
    /// `rows.count / query.count` rows) as indices `firstIndex + row`, without materialising
    /// the scores: the fused scan of a flat index.
    public func offerInnerProducts(
        rows: UnsafeBufferPointer<Float>, query: UnsafeBufferPointer<Float>, firstIndex: Int = 0
    ) {
        precondition(!finished, "a finished selection cannot take more scores")
        let dimension = query.count
        precondition(dimension > 0 ? rows.count % dimension == 0 : rows.isEmpty,
                     "rows hold \(rows.count) floats, not a multiple of the dimension \(dimension)")
        let count = dimension > 0 ? rows.count / dimension : 0
        gk_topk_push_dots(&state, rows.baseAddress, count, dimension, query.baseAddress, Int64(firstIndex))
    }

    /// The kept pairs, best first. The selection takes no more scores afterwards.
    public func finish() -> [ScoredIndex] {
        if !finished {
            gk_topk_finish(&state)
            finished = true
        }
        return (0..<state.count).map { ScoredIndex(index: Int(indices[$0]), score: scores[$0]) }
    }
}

extension SIMDKernels {
    /// The `k` highest scores with their positions, best first (ties: lower position first;
    /// NaN skipped). `k` larger than `scores.count` returns every non-NaN score.
    public static func topK(_ scores: some ContiguousFloats, k: Int) -> [ScoredIndex] {
        let selection = TopKSelection(k: k)
        scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
        return selection.finish()
    }
}
