import GantryIO
import GantryMath

extension IndexFile {
    /// What `build` did: the shape it indexed and how long each phase took.
    public struct BuildReport: Sendable {
        /// The kind of index written.
        public var kind: Kind
        /// How the index scores.
        public var metric: Metric
        /// Vectors indexed (rows of the embeddings file).
        public var rows: Int
        /// Their dimension (columns of the embeddings file).
        public var dimension: Int
        /// Reading the embeddings and the ids.
        public var loadSeconds: Double
        /// Building the index and writing it.
        public var buildSeconds: Double
    }

    /// Builds an index of the vectors in the float32 `.npy` file `embeddings` (one per row) and
    /// writes it to `output`, atomically. `ids` is a text file with one id per line (blank lines
    /// skipped; default: the row numbers). `parameters`, `threads` and `progress` apply to HNSW
    /// only: `progress(0, total)` as insertion starts, then now and then the vectors inserted so
    /// far. `model` is recorded in the file.
    public static func build(embeddings: String, ids: String? = nil, kind: Kind, metric: Metric = .cosine,
                             parameters: HNSWIndex.Parameters = HNSWIndex.Parameters(), model: String = "",
                             threads: Int? = nil, output: String,
                             progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws(IndexError) -> BuildReport {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let vectors: Matrix
        do { vectors = Matrix(try NPYFile.read(embeddings)) } catch { throw .file(error) }
        let rowIDs = try ids.map { (path) throws(IndexError) in try readIDs(path, rows: vectors.rows, embeddings: embeddings) }
            ?? (0..<vectors.rows).map { .number(Int64($0)) }
        let loaded = clock.now - loadStart
        let buildStart = clock.now
        switch kind {
        case .flat:
            var index = try FlatIndex(dimension: vectors.cols, metric: metric, modelIdentity: model)
            try index.add(contentsOf: vectors, ids: rowIDs)
            try index.save(to: output)
        case .hnsw:
            var index = try HNSWIndex(dimension: vectors.cols, metric: metric, parameters: parameters, modelIdentity: model)
            let total = vectors.rows
            let inserted: (@Sendable (Int) -> Void)? = progress.map { report in { @Sendable done in report(done, total) } }
            progress?(0, total)
            try index.add(contentsOf: vectors, ids: rowIDs, threads: threads, progress: inserted)
            try index.save(to: output)
        }
        return BuildReport(kind: kind, metric: metric, rows: vectors.rows, dimension: vectors.cols,
                           loadSeconds: loaded.seconds, buildSeconds: (clock.now - buildStart).seconds)
    }

    /// The non-blank lines of the id file `path` as names (`lines(of:)`); exactly one per row of `embeddings`.
    static func readIDs(_ path: String, rows: Int, embeddings: String) throws(IndexError) -> [VectorID] {
        let names = try lines(of: path)
        guard names.count == rows else {
            throw .invalidParameter("\(path) has \(names.count) ids but \(embeddings) has \(rows) rows; give one id per line")
        }
        return names.map { .name($0) }
    }

    /// The lines of the UTF-8 text file `path` that are not blank (empty or whitespace only), split
    /// at LF with a CR before it dropped: how id, text and query files are read alike.
    static func lines(of path: String) throws(IndexError) -> [String] {
        let bytes: [UInt8]
        do { bytes = try BinaryFile.read(path) } catch { throw .file(error) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidParameter("\(path) is not UTF-8 text") }
        return text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            .map { line in String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self) }
            .filter { !$0.allSatisfy(\.isWhitespace) }
    }
}
