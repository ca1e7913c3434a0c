/// A scored position: `index` is a row or element number, `score` its similarity.
public struct ScoredIndex: Hashable, Sendable {
    public var index: Int
    public var score: Float

    public init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}
