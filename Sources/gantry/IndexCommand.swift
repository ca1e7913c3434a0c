import ArgumentParser
import Foundation
import GantryIndex
import Synchronization

/// `gantry index build|search`.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build a vector index from embeddings or a lexical index from texts, or search one.",
        subcommands: [Build.self, Search.self]
    )

    /// What `gantry index build` builds.
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        /// `IndexFile.Kind.flat`.
        case flat
        /// `IndexFile.Kind.hnsw`.
        case hnsw
        /// A BM25 `LexicalIndex` of texts.
        case lexical
    }

    /// `gantry index build` (`IndexFile.build`, `LexicalIndex.build`).
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build an index file from an .npy matrix (one vector per row), or a lexical one from texts (one per line).")

        @Option(help: "Float32 .npy file, one vector per row (flat and hnsw).") var embeddings: String?
        @Option(help: "UTF-8 text file, one document per non-blank line (lexical: BM25, k1 1.2, b 0.75).") var texts: String?
        @Option(help: "flat (exact), hnsw (approximate) or lexical (BM25 over --texts).") var kind: Kind = .hnsw
        @Option(help: "cosine (vectors normalized) or ip (inner product as given); default cosine.") var metric: Metric?
        @Option(help: "Text file with one id per line (default: row numbers).") var ids: String?
        @Option(name: .customLong("m"), parsing: .unconditional, help: "HNSW: neighbors per node (layer 0 keeps 2·M); default 16.") var m: Int?
        @Option(parsing: .unconditional, help: "HNSW: candidate list size while building; default 200.") var efConstruction: Int?
        @Option(parsing: .unconditional, help: "HNSW: default candidate list size while searching; default 64.") var efSearch: Int?
        @Option(parsing: .unconditional, help: "HNSW: build threads (default: all cores).") var threads: Int?
        @Option(help: "The embedding model's identity, recorded in the file.") var model: String?
        @Option(help: "Index file to write.") var output: String

        func validate() throws {
            if kind == .lexical {
                guard texts != nil, embeddings == nil else { throw ValidationError("--kind lexical indexes --texts (and takes no --embeddings)") }
                let vectorOptions = [("--metric", metric != nil), ("--m", m != nil), ("--ef-construction", efConstruction != nil),
                                     ("--ef-search", efSearch != nil), ("--threads", threads != nil), ("--model", model != nil)]
                if let given = vectorOptions.first(where: \.1) { throw ValidationError("\(given.0) applies to vector indexes, not --kind lexical") }
            } else {
                guard embeddings != nil, texts == nil else { throw ValidationError("--kind \(kind) indexes --embeddings (and takes no --texts)") }
            }
            guard (m ?? HNSWIndex.Parameters().m) >= 2 else { throw ValidationError("--m must be at least 2") }
            guard efConstruction.map({ $0 >= 1 }) ?? true, efSearch.map({ $0 >= 1 }) ?? true else { throw ValidationError("--ef-construction and --ef-search must be at least 1") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            if kind == .lexical, let texts {
                let report = try LexicalIndex.build(texts: texts, ids: ids, output: output)
                print("lexical index of \(report.documents) documents (\(report.terms) terms) written to \(output)")
                print("load \(String(format: "%.3f", report.loadSeconds)) s, build + save \(String(format: "%.3f", report.buildSeconds)) s")
                return
            }
            let defaults = HNSWIndex.Parameters()
            let parameters = HNSWIndex.Parameters(m: m ?? defaults.m, efConstruction: efConstruction ?? defaults.efConstruction,
                                                  efSearch: efSearch ?? defaults.efSearch)
            let bar = Mutex<ProgressBar?>(nil)
            let report = try IndexFile.build(
                embeddings: embeddings!, ids: ids, kind: kind == .flat ? .flat : .hnsw, metric: metric ?? .cosine,
                parameters: parameters,
                model: model ?? "", threads: threads, output: output
            ) { done, total in
                bar.withLock { bar in
                    if bar == nil { bar = ProgressBar(total: total, label: "inserting") }
                    if done > 0 { bar?.update(done) }
                }
            }
            print("\(report.kind) index of \(report.rows) × \(report.dimension) (\(report.metric)) written to \(output)")
            print("load \(String(format: "%.3f", report.loadSeconds)) s, build + save \(String(format: "%.3f", report.buildSeconds)) s")
        }
    }

    /// `gantry index search` (`IndexFile.search`, `LexicalIndex.search`).
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search an index with every row of an .npy matrix, or a lexical index with every line of a text file.")

        @Option(help: "Index file written by `gantry index build`.") var index: String
        @Option(help: "Float32 .npy file, one query per row; for a lexical index, a UTF-8 text file, one query per line.") var queries: String
        @Option(parsing: .unconditional, help: "Results per query.") var k = 10
        @Option(parsing: .unconditional, help: "HNSW: candidate list size (default: the index's).") var ef: Int?
        @Flag(help: "Print results and timings as JSON.") var json = false

        func validate() throws {
            guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
            if let ef, ef < 1 { throw ValidationError("--ef must be at least 1, got \(ef)") }
        }

        func run() throws {
            let lexical = LexicalIndex.isLexicalIndexFile(index)
            if lexical, ef != nil { throw ValidationError("--ef applies to HNSW indexes; \(index) is a lexical index") }
            let report = lexical ? try LexicalIndex.search(index: index, queries: queries, k: k)
                : try IndexFile.search(index: index, queries: queries, k: k, ef: ef)
            if json {
                let payload: [String: Any] = [
                    "results": report.results.map { $0.map { ["id": idValue($0.id), "score": Double($0.score)] } },
                    "timing": ["load_seconds": report.loadSeconds, "search_seconds": report.searchSeconds,
                               "queries": report.queries, "queries_per_second": report.queriesPerSecond],
                ]
                let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for (row, hits) in report.results.enumerated().prefix(10) {
                    print("query \(row): " + hits.map { "\($0.id) \(String(format: "%.4f", $0.score))" }.joined(separator: ", "))
                }
                if report.results.count > 10 { print("… \(report.results.count - 10) more queries (use --json for all)") }
                print("load \(String(format: "%.3f", report.loadSeconds)) s; \(report.queries) queries in "
                    + "\(String(format: "%.3f", report.searchSeconds)) s (\(Int(report.queriesPerSecond)) queries/s, \(lexical ? "one at a time" : "batched"))")
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
