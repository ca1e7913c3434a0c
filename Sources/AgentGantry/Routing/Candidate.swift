/// A tool competing in one retrieval.
struct Candidate: Sendable {
    var name: String
    /// Cosine similarity of the adapted query and the tool's adapted vector.
    var semantic: Double
    /// The tool's BM25F score for the query's text (0 when no term matches, or when the lexical
    /// weight is 0 and lexical scoring is skipped).
    var lexical: Double
    /// The first stage's fused score on the cosine's scale, in [−1, 1] (`Ranker`): the
    /// cosine itself when the lexical weight is 0.
    var retrieval: Double
}
