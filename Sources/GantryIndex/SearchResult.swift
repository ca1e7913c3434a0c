/// One hit of a search.
public struct SearchResult: Hashable, Sendable {
    public var id: VectorID
    public var score: Float

    public init(id: VectorID, score: Float) {
        self.id = id
        self.score = score
    }
}
