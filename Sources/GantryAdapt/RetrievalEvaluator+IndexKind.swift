import GantryIndex

extension RetrievalEvaluator.IndexKind {
    /// The evaluation index of the same kind as an index file's (`flat` or `hnsw`).
    public init(_ kind: IndexFile.Kind) {
        switch kind {
        case .flat: self = .flat
        case .hnsw: self = .hnsw
        }
    }
}
