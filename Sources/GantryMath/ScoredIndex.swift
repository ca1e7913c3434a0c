/// A scored position: `index` is a row or element number, `score` its similarity.
public struct ScoredIndex: Hashable, Sendable {
    /// The position: a row of the matrix searched, or an element of the scores ranked (0-based).
    public var index: Int
    /// The similarity at `index` (an inner product or a score); higher is better.
    public var score: Float

    /// A pair of a position and its score.
    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}
