/// One hit of a search.
public struct SearchResult: Hashable, Sendable {
    /// The id the vector was added with.
    public var id: VectorID
    /// The similarity to the query: the inner product, or the cosine (in −1...1) under `.cosine`.
    /// Higher is closer.
    public var score: Float

    /// A hit with the given id and score.
    public init(id: VectorID, score: Float) {
        self.id = id
        self.score = score
    }
}
