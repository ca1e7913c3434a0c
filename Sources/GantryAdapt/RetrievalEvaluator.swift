import GantryIndex
import GantryMath

/// Ranks a catalog for many queries with the project's own indexes, and scores the rankings.
public enum RetrievalEvaluator {
    /// Which index answers: exact (`FlatIndex`, one sgemm per block of queries) or `HNSWIndex`.
    public enum IndexKind: String, Sendable, CaseIterable {
        /// `FlatIndex`: exact rankings.
        case flat
        /// `HNSWIndex` (M 16, efConstruction 200, built on one thread so the graph is
        /// reproducible, searched with ef = max(64, 2k)): approximate rankings.
        case hnsw
    }

    /// The top `k` tool rows for each query row (inner product of unit vectors = cosine).
    public static func rankings(queries: Matrix, tools: Matrix, k: Int, index kind: IndexKind = .flat) throws(AdaptError) -> [[Int]] {
        guard queries.cols == tools.cols else {
            throw .incompatible("queries have dimension \(queries.cols) but tools \(tools.cols)")
        }
        let ids = (0..<tools.rows).map { VectorID.number(Int64($0)) }
        let results: [[SearchResult]]
        do {
            switch kind {
            case .flat:
                var index = try FlatIndex(dimension: tools.cols, metric: .innerProduct)
                try index.add(contentsOf: tools, ids: ids)
                results = try index.search(queries: queries, k: k)
            case .hnsw:
                var index = try HNSWIndex(dimension: tools.cols, metric: .innerProduct)
                try index.add(contentsOf: tools, ids: ids, threads: 1)
                results = try index.search(queries: queries, k: k, ef: max(64, 2 * k))
            }
        } catch {
            throw .index(error)
        }
        return results.map { hits in
            hits.map { hit in
                guard case .number(let n) = hit.id else { preconditionFailure("numeric ids only") }
                return Int(n)
            }
        }
    }

    /// Metrics of `queries` (rows) against `tools` (rows), `relevant[i]` the correct tool rows of
    /// query i.
    public static func evaluate(queries: Matrix, relevant: [[Int]], tools: Matrix, index: IndexKind = .flat) throws(AdaptError) -> RetrievalMetrics {
        RetrievalMetrics(rankings: try rankings(queries: queries, tools: tools, k: 10, index: index), relevant: relevant)
    }
}
