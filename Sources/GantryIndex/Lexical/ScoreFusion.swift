/// Combines a query's dense (embedding) scores with its lexical (BM25F) scores over one
/// catalogue, both given per document in the same order.
///
/// The two scales are unrelated — cosines near 0.3–0.6, BM25 sums of idf-weighted terms from 0
/// to tens — so each is first normalised per query with its z-statistics over the whole
/// catalogue, `(s − mean) / standard deviation`: how far above its catalogue's usual a document
/// stands on each kind of evidence. The fused score is `(1 − w)·z(dense) + w·z(lexical)`; a
/// query whose words match nothing (every lexical score 0) is ranked by its dense scores alone,
/// whatever `w`.
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

    /// Whether scores of this mean and standard deviation differ at all: the deviation is more
    /// than a millionth of the mean's magnitude (or of 1). Without spread every z-score is 0.
    public static func hasSpread(mean: Float, deviation: Float) -> Bool {
        deviation.isFinite && deviation > 1e-6 * max(1, abs(mean))
    }

    /// `(value − mean) / deviation`, or 0 without spread (`hasSpread`).
    public static func zScore(_ value: Float, mean: Float, deviation: Float) -> Float {
        hasSpread(mean: mean, deviation: deviation) ? (value - mean) / deviation : 0
    }

    /// `scores` as z-scores: mean 0, standard deviation 1 over the finite scores (all 0 without
    /// spread: `hasSpread`). A non-finite score (NaN, infinity) is no evidence: its z-score is 0 and
    /// it does not enter the statistics.
    public static func zScores(_ scores: [Float]) -> [Float] {
        var sum = 0.0, squares = 0.0, n = 0.0
        for score in scores where score.isFinite {
            sum += Double(score)
            squares += Double(score) * Double(score)
            n += 1
        }
        guard n > 0 else { return Array(repeating: 0, count: scores.count) }
        let mean = sum / n, deviation = (max(0, squares / n - mean * mean)).squareRoot()
        guard hasSpread(mean: Float(mean), deviation: Float(deviation)) else { return Array(repeating: 0, count: scores.count) }
        return scores.map { $0.isFinite ? Float((Double($0) - mean) / deviation) : 0 }
    }

    /// The fused score of each document: `weight` is the lexical share (clamped to 0...1); 0
    /// gives the dense order, 1 the lexical order.
    ///
    /// Under `.zScore` the lexical side's spread depends on how many documents match: when few of
    /// a large catalogue do, each stands many deviations above the mean (a lone match among N
    /// documents at √(N − 1)), so a lexical match weighs more in a large catalogue than in a small
    /// one at the same weight. That is what the per-query statistics say — the match is rare —,
    /// but it is why a weight chosen on small catalogues is a prior to be learned from each
    /// store's feedback (`FusionWeightSelection`), not a constant.
    public static func fuse(dense: [Float], lexical: [Float], weight: Float, method: Method = .zScore) -> [Float] {
        precondition(dense.count == lexical.count, "one dense and one lexical score per document")
        let weight = weight.isNaN ? 0 : min(max(weight, 0), 1)
        switch method {
        case .zScore:
            let (d, l) = (zScores(dense), zScores(lexical))
            guard l.contains(where: { $0 != 0 }) else { return d }  // no lexical evidence: the dense order
            return zip(d, l).map { (1 - weight) * $0 + weight * $1 }
        case .reciprocalRank:
            let (d, l) = (ranks(dense), ranks(lexical))
            return dense.indices.map { i in
                (1 - weight) / Float(60 + d[i]) + (lexical[i] > 0 ? weight / Float(60 + l[i]) : 0)
            }
        }
    }

    /// Each score's rank from 1 (best), ties to the earlier document; non-finite scores rank last.
    static func ranks(_ scores: [Float]) -> [Int] {
        let scores = scores.map { $0.isFinite ? $0 : -.infinity }
        var rank = [Int](repeating: 0, count: scores.count)
        for (position, index) in scores.indices.sorted(by: { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }).enumerated() {
            rank[index] = position + 1
        }
        return rank
    }
}
