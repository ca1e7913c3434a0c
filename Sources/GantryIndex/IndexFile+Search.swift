import GantryIO
import GantryMath

extension IndexFile {
    /// What `search` found and how long it took.
    public struct SearchReport: Sendable {
        /// The top `k` results of each query row, best first.
        public var results: [[SearchResult]]
        /// Query rows searched.
        public var queries: Int
        /// Reading the index and the queries.
        public var loadSeconds: Double
        /// The batched search.
        public var searchSeconds: Double

        /// Queries per second of the batched search.
        public var queriesPerSecond: Double { Double(queries) / max(searchSeconds, 1e-9) }
    }

    /// Loads the index file `index` and searches it with every row of the float32 `.npy` file
    /// `queries`, `k` results each. `ef` is HNSW's candidate list size (default: the one stored
    /// in the file); a flat index ignores it.
    public static func search(index: String, queries: String, k: Int, ef: Int? = nil) throws(IndexError) -> SearchReport {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let loaded = try load(from: index)
        let matrix: Matrix
        do { matrix = Matrix(try NPYFile.read(queries)) } catch { throw .file(error) }
        let loadDuration = clock.now - loadStart
        let searchStart = clock.now
        let results = if let hnsw = loaded as? HNSWIndex {
            try hnsw.search(queries: matrix, k: k, ef: ef ?? hnsw.parameters.efSearch)
        } else {
            try loaded.search(queries: matrix, k: k, filter: nil)
        }
        return SearchReport(results: results, queries: matrix.rows, loadSeconds: loadDuration.seconds,
                            searchSeconds: (clock.now - searchStart).seconds)
    }
}
