import Foundation
import GantryIO

extension LexicalIndex {
    /// What `build(texts:ids:output:)` did.
    public struct BuildReport: Sendable {
        /// Documents indexed (non-blank lines of the texts file).
        public var documents: Int
        /// Distinct terms among them.
        public var terms: Int
        /// Reading the texts and the ids.
        public var loadSeconds: Double
        /// Building the index and writing it.
        public var buildSeconds: Double
    }

    /// Builds a one-field BM25 index (k1 1.2, b 0.75) of the non-blank lines of the UTF-8 file
    /// `texts` (`IndexFile.lines(of:)`), one document per line (for tools: name, description, parameters…, as
    /// `Tool.lexicalText` joins them), and writes it to `output` atomically. `ids` is a text file
    /// with one id per non-blank line, as many as documents (default: the line numbers from 0).
    public static func build(texts: String, ids: String? = nil, output: String) throws(IndexError) -> BuildReport {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let documents = try IndexFile.lines(of: texts)
        let rowIDs = try ids.map { (path) throws(IndexError) in try IndexFile.readIDs(path, rows: documents.count, embeddings: texts) }
            ?? (0..<documents.count).map { .number(Int64($0)) }
        let loaded = clock.now - loadStart
        let buildStart = clock.now
        var index = try LexicalIndex(fields: [LexicalField(name: "text")])
        for (text, id) in zip(documents, rowIDs) { try index.add([text], id: id) }
        try index.save(to: output)
        return BuildReport(documents: documents.count, terms: index.termCount, loadSeconds: loaded.seconds,
                           buildSeconds: (clock.now - buildStart).seconds)
    }

    /// Loads the lexical index file `index` and searches it with every non-blank line of the
    /// UTF-8 file `queries`, `k` results each (documents matching none of a query's terms are not
    /// returned, so a query may get fewer).
    public static func search(index: String, queries: String, k: Int) throws(IndexError) -> IndexFile.SearchReport {
        let clock = ContinuousClock()
        let loadStart = clock.now
        var loaded = try load(from: index)
        loaded.prepareForSearch()  // many queries, no change
        let texts = try IndexFile.lines(of: queries)
        let loadDuration = clock.now - loadStart
        let searchStart = clock.now
        var results = [[SearchResult]]()
        results.reserveCapacity(texts.count)
        for text in texts { results.append(try loaded.search(text, k: k)) }
        return IndexFile.SearchReport(results: results, queries: texts.count, loadSeconds: loadDuration.seconds,
                                      searchSeconds: (clock.now - searchStart).seconds)
    }

    /// Whether the file at `path` starts as a lexical index file does (its magic); false when it
    /// cannot be read.
    public static func isLexicalIndexFile(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)).map { $0.elementsEqual("GNTRYLEX".utf8) } ?? false
    }
}
