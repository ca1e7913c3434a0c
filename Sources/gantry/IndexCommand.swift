import ArgumentParser
import Foundation
import GantryIndex
import GantryIO
import GantryMath

/// `gantry index build|search`.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build a vector index from embeddings, or search one.",
        subcommands: [Build.self, Search.self]
    )

    enum Kind: String, ExpressibleByArgument, CaseIterable { case flat, hnsw }
    enum MetricOption: String, ExpressibleByArgument, CaseIterable { case cosine, ip }

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build an index file from an .npy matrix (one vector per row).")

        @Option(help: "Float32 .npy file, one vector per row.") var embeddings: String
        @Option(help: "flat (exact) or hnsw (approximate).") var kind: Kind = .hnsw
        @Option(help: "cosine (vectors normalized) or ip (inner product as given).") var metric: MetricOption = .cosine
        @Option(help: "Text file with one id per line (default: row numbers).") var ids: String?
        @Option(name: .customLong("m"), help: "HNSW: neighbors per node (layer 0 keeps 2·M).") var m = 16
        @Option(help: "HNSW: candidate list size while building.") var efConstruction = 200
        @Option(help: "HNSW: default candidate list size while searching.") var efSearch = 64
        @Option(help: "HNSW: build threads (default: all cores).") var threads: Int?
        @Option(help: "The embedding model's identity, recorded in the file.") var model = ""
        @Option(help: "Index file to write.") var output: String

        func run() throws {
            let clock = ContinuousClock()
            let loadStart = clock.now
            let vectors = Matrix(try NPYFile.read(embeddings))
            let rowIDs = try readIDs(count: vectors.rows)
            let loaded = clock.now - loadStart
            let metric: Metric = self.metric == .cosine ? .cosine : .innerProduct
            let buildStart = clock.now
            switch kind {
            case .flat:
                var index = try FlatIndex(dimension: vectors.cols, metric: metric, modelIdentity: model)
                try index.add(contentsOf: vectors, ids: rowIDs)
                try index.save(to: output)
            case .hnsw:
                let parameters = HNSWIndex.Parameters(m: m, efConstruction: efConstruction, efSearch: efSearch)
                var index = try HNSWIndex(dimension: vectors.cols, metric: metric, parameters: parameters, modelIdentity: model)
                let bar = ProgressBar(total: vectors.rows, label: "inserting")
                try index.add(contentsOf: vectors, ids: rowIDs, threads: threads) { bar.update($0) }
                try index.save(to: output)
            }
            let built = clock.now - buildStart
            print("\(kind) index of \(vectors.rows) × \(vectors.cols) (\(metric)) written to \(output)")
            print("load \(String(format: "%.3f", (loaded).seconds)) s, build + save \(String(format: "%.3f", (built).seconds)) s")
        }

        private func readIDs(count: Int) throws -> [VectorID] {
            guard let ids else { return (0..<count).map { .number(Int64($0)) } }
            let lines = try String(contentsOfFile: ids, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                .map(String.init).filter { !$0.isEmpty }
            guard lines.count == count else {
                throw ValidationError("\(ids) has \(lines.count) ids but \(embeddings) has \(count) rows")
            }
            return lines.map { .name($0) }
        }
    }

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search an index with every row of an .npy matrix.")

        @Option(help: "Index file written by `gantry index build`.") var index: String
        @Option(help: "Float32 .npy file, one query per row.") var queries: String
        @Option(help: "Results per query.") var k = 10
        @Option(help: "HNSW: candidate list size (default: the index's).") var ef: Int?
        @Flag(help: "Print results and timings as JSON.") var json = false

        func run() throws {
            let clock = ContinuousClock()
            let loadStart = clock.now
            let loadedIndex = try IndexFile.load(from: index)
            let matrix = Matrix(try NPYFile.read(queries))
            let loaded = clock.now - loadStart
            let searchStart = clock.now
            let results: [[SearchResult]]
            if let hnsw = loadedIndex as? HNSWIndex {
                results = try hnsw.search(queries: matrix, k: k, ef: ef ?? hnsw.parameters.efSearch)
            } else {
                results = try loadedIndex.search(queries: matrix, k: k, filter: nil)
            }
            let searched = clock.now - searchStart
            let perSecond = Double(matrix.rows) / max((searched).seconds, 1e-9)
            if json {
                let payload: [String: Any] = [
                    "results": results.map { $0.map { ["id": idValue($0.id), "score": Double($0.score)] } },
                    "timing": ["load_seconds": (loaded).seconds, "search_seconds": (searched).seconds,
                               "queries": matrix.rows, "queries_per_second": perSecond],
                ]
                let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (row, hits) in results.enumerated().prefix(10) {
                    print("query \(row): " + hits.map { "\($0.id) \(String(format: "%.4f", $0.score))" }.joined(separator: ", "))
                }
                if results.count > 10 { print("… \(results.count - 10) more queries (use --json for all)") }
                print("load \(String(format: "%.3f", (loaded).seconds)) s; \(matrix.rows) queries in "
                    + "\(String(format: "%.3f", (searched).seconds)) s (\(Int(perSecond)) queries/s, batched)")
            }
        }

        private func idValue(_ id: VectorID) -> Any {
            switch id {
            case .number(let n): n
            case .name(let s): s
            }
        }
    }
}
