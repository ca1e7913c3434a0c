/// Combines a query's dense (embedding) scores with its lexical (BM25F) scores over one
/// catalogue, both given per document in the same order.
///
/// The two scales are unrelated — cosines near 0.3–0.6, BM25 sums of idf-weighted terms from 0
/// to tens — so each is first normalised per query with its z-statistics over the whole
/// catalogue, `(s − mean) / standard deviation`: how far above its catalogue's usual a document
/// stands on each kind of evidence. The fused score is `(1 − w)·z(dense) + w·z(lexical)`; a
/// query whose words match nothing (every lexical score 0) leaves the dense ranking as it is.
/// Reciprocal-rank fusion is the rank-based alternative.
public enum ScoreFusion {
    /// The lexical share used until feedback says otherwise: chosen across metatool, toollens
    /// and support-desk as the weight whose smallest gain in MRR@10 over dense retrieval, on each
    /// dataset's train split, is largest (`Benchmarks/Sources/HybridWeightStudy`; the README's
    /// hybrid table). No dataset's test split lost at it.
    public static let priorWeight: Float = 0.15

    /// How fused scores are made.
    public enum Method: String, Sendable, CaseIterable {
        /// `(1 − w)·z(dense) + w·z(lexical)`.
        case zScore
        /// `(1 − w)/(k + rank_dense) + w/(k + rank_lexical)`, ranks from 1, k = 60 (Cormack et al.,
        /// 2009); a document without any lexical score gets no lexical part.
        case reciprocalRank
    }

    /// `scores` as z-scores: mean 0, standard deviation 1 (all 0 when every score is equal).
    public static func zScores(_ scores: [Float]) -> [Float] {
        guard !scores.isEmpty else { return [] }
        var sum = 0.0, squares = 0.0
        for score in scores { sum += Double(score); squares += Double(score) * Double(score) }
        let n = Double(scores.count), mean = sum / n
        let deviation = (max(0, squares / n - mean * mean)).squareRoot()
        guard deviation > 1e-12 * max(1, abs(mean)) else { return Array(repeating: 0, count: scores.count) }
        return scores.map { Float((Double($0) - mean) / deviation) }
    }

    /// The fused score of each document: `weight` (0...1) is the lexical share; 0 gives the dense
    /// order, 1 the lexical order.
    public static func fuse(dense: [Float], lexical: [Float], weight: Float, method: Method = .zScore) -> [Float] {
        precondition(dense.count == lexical.count, "one dense and one lexical score per document")
        switch method {
        case .zScore:
            let (d, l) = (zScores(dense), zScores(lexical))
            return zip(d, l).map { (1 - weight) * $0 + weight * $1 }
        case .reciprocalRank:
            let (d, l) = (ranks(dense), ranks(lexical))
            return dense.indices.map { i in
                (1 - weight) / Float(60 + d[i]) + (lexical[i] > 0 ? weight / Float(60 + l[i]) : 0)
            }
        }
    }

    /// Each score's rank from 1 (best), ties to the earlier document.
    static func ranks(_ scores: [Float]) -> [Int] {
        var rank = [Int](repeating: 0, count: scores.count)
        for (position, index) in scores.indices.sorted(by: { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }).enumerated() {
            rank[index] = position + 1
        }
        return rank
    }
}
