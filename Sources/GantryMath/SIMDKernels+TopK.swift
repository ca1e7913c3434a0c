import GantryKernels

extension SIMDKernels {
    /// The `k` highest scores of at least `floor` with their positions, best first (ties: lower
    /// position first; NaN skipped). `k` larger than `scores.count` returns every non-NaN score
    /// from `floor` up. Scores below the floor are screened out 16 at a time: a sparse score
    /// vector, mostly 0, selects its best positive scores (floor `.leastNormalMagnitude`) at the
    /// cost of one scan, where without a floor every 0 would be offered until k scores are kept.
    public static func topK(_ scores: some ContiguousFloats, k: Int, atLeast floor: Float = -.infinity) -> [ScoredIndex] {
        var selection = TopKSelection(k: k, atLeast: floor)
        scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
        return selection.finish()
    }

    /// The `k`-th highest of `values`, counting repeats (sorted descending, the value at `k − 1`),
    /// without copying or reordering them: a binary search over the values' order-preserving bit
    /// patterns, 32 passes of counting 16 values at a time, with no branch that depends on a value
    /// (a selection on a copy mispredicts at about every other value). Preconditions:
    /// `1 ≤ k ≤ values.count < 2³¹`, no NaN.
    public static func kthHighest(_ values: UnsafeBufferPointer<Float>, _ k: Int) -> Float {
        precondition(k >= 1 && k <= values.count && values.count < 1 << 31, "k \(k) of \(values.count) values")
        return gk_kth_highest(values.baseAddress, values.count, k)
    }
}
