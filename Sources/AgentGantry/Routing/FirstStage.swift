import GantryIndex
import GantryMath

/// What the first stage of one retrieval scores candidates with: the adapted query, its BM25F
/// scores over the catalogue (nil at lexical weight 0), both sides' catalogue statistics and the
/// lexical weight.
struct FirstStage {
    let query: [Float]
    let lexical: LexicalScores?
    let dense: (mean: Float, deviation: Float)
    /// The lexical weight in effect for this query (0 when either side has no spread).
    let weight: Float
    private let lexicalStatistics: (mean: Float, deviation: Float)

    init(query: [Float], lexical: LexicalScores?, dense: (mean: Float, deviation: Float), weight: Float) {
        (self.query, self.lexical, self.dense) = (query, lexical, dense)
        lexicalStatistics = lexical?.statistics ?? (0, 0)
        // A query none of whose words match any tool (no lexical spread), or a catalogue whose
        // dense scores do not spread (one tool), ranks by the cosine alone.
        let spread = ScoreFusion.hasSpread(mean: lexicalStatistics.mean, deviation: lexicalStatistics.deviation)
            && ScoreFusion.hasSpread(mean: dense.mean, deviation: dense.deviation)
        self.weight = spread ? weight : 0
    }

    /// The cosine of the query with `name`'s indexed vector (both unit), read in place; nil when
    /// `name` is not indexed.
    func cosine(with name: String, in index: ToolIndex) -> Float? {
        query.withUnsafeBufferPointer { query in
            index.withVector(of: name) { vector in vector.count == query.count ? SIMDKernels.dot(query, vector) : 0 }
        }
    }

    /// `name` scored: its cosine, its BM25F score, and the fused score on the cosine's scale.
    func candidate(_ name: String, cosine: Float, bm25: Float) -> Candidate {
        Candidate(name: name, semantic: Double(cosine), lexical: Double(bm25), retrieval: fused(cosine: cosine, bm25: bm25))
    }

    /// The fused score of a tool of this cosine and BM25F score, on the cosine's scale
    /// (`withinCosineRange`): the cosine itself at weight 0.
    func fused(cosine: Float, bm25: Float) -> Double {
        guard weight > 0 else { return Self.withinCosineRange(Double(cosine)) }
        let zDense = ScoreFusion.zScore(cosine, mean: dense.mean, deviation: dense.deviation)
        let zLexical = ScoreFusion.zScore(bm25, mean: lexicalStatistics.mean, deviation: lexicalStatistics.deviation)
        return Self.withinCosineRange(Double(dense.mean) + Double(dense.deviation) * Double((1 - weight) * zDense + weight * zLexical))
    }

    /// `x` itself within ±`knee`; past it, squashed into (−1, 1) keeping the order and the slope
    /// at the knee: `knee + (1 − knee)·u / (1 + u)` with `u = (|x| − knee) / (1 − knee)`. A hard
    /// clamp would tie every strong lexical match at 1 (a lone match in a large catalogue stands
    /// many deviations up); this keeps them apart, in the order fusion gives them.
    static func withinCosineRange(_ x: Double) -> Double {
        let knee = 0.9, magnitude = abs(x)
        guard magnitude > knee, x.isFinite else { return x.isNaN ? 0 : (x.isFinite ? x : (x > 0 ? 1 : -1)) }
        let u = (magnitude - knee) / (1 - knee)
        return (knee + (1 - knee) * u / (1 + u)) * (x > 0 ? 1 : -1)
    }
}
