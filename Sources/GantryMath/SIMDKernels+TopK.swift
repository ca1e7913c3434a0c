extension SIMDKernels {
    /// The `k` highest scores with their positions, best first (ties: lower position first;
    /// NaN skipped). `k` larger than `scores.count` returns every non-NaN score.
    public static func topK(_ scores: some ContiguousFloats, k: Int) -> [ScoredIndex] {
        var selection = TopKSelection(k: k)
        scores.withUnsafeBufferPointer { selection.offer(scores: $0) }
        return selection.finish()
    }
}
