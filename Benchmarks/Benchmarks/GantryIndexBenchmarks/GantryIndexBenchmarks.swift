// FlatIndex and HNSWIndex at tool-routing sizes: single queries over 10k and 100k vectors
// (384-d, seeded clustered data), 1000 batched queries, an HNSW build, HNSW search at ef 64,
// the replacement of one vector in a published 100k graph, and lexical search over the 10k-tool
// catalogue compare/run-lexical-compare.sh writes. Data and indexes are lazy globals, made once
// per benchmark process; the 100k graph is cached under .build/bench-cache. Side-by-side figures against FAISS, hnswlib and USearch
// come from compare/run-index-compare.sh.
import Benchmark
import Foundation
import GantryIndex
import GantryIO
import GantryMath

let dimension = 384

func dataset(_ count: Int) -> (data: Matrix, queries: Matrix) {
    let all = SyntheticEmbeddings.clustered(count: count + 1000, dimension: dimension, clusters: max(10, count / 20), seed: 1)
    return (try! Matrix(rows: count, cols: dimension, values: Array(all.values[0..<(count * dimension)])),
            try! Matrix(rows: 1000, cols: dimension, values: Array(all.values[(count * dimension)...])))
}

func flatIndex(_ data: Matrix) -> FlatIndex {
    var index = try! FlatIndex(dimension: dimension, metric: .innerProduct)
    try! index.add(contentsOf: data, ids: (0..<data.rows).map { .number(Int64($0)) })
    return index
}

let data10k = dataset(10_000)
let data100k = dataset(100_000)
let flat10k = flatIndex(data10k.data)
let flat100k = flatIndex(data100k.data)
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let hnsw100k: HNSWIndex = {
    let cache = here.appendingPathComponent("../../.build/bench-cache").standardized.path
    try! FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
    let path = cache + "/hnsw-100k.gidx"
    if let cached = try? HNSWIndex.load(from: path) { return cached }
    var built = try! HNSWIndex(dimension: dimension, metric: .innerProduct)
    try! built.add(contentsOf: data100k.data, ids: (0..<100_000).map { .number(Int64($0)) })
    try! built.save(to: path)
    return built
}()
/// The real MetaTool tool embeddings (199 × 384), when ../shared/datasets is beside the repository.
let toolsPath = here.appendingPathComponent("../../../../shared/datasets/metatool/tools.npy").standardized.path
let tools: (data: Matrix, index: FlatIndex)? = {
    guard let data = (try? NPYFile.read(toolsPath)).map(Matrix.init) else { return nil }
    return (data, flatIndex(data))
}()

/// The 10k-tool lexical catalogue and queries `LexicalBench --write` leaves under
/// .build/compare/lexical (Benchmarks/compare/run-lexical-compare.sh writes them), when present.
let lexicalFolder = here.appendingPathComponent("../../.build/compare/lexical").standardized.path
/// `lexical` as the facade serves it: prepared for search.
let preparedLexical: (index: LexicalIndex, queries: [String])? = lexical.map { lexical in
    var index = lexical.index
    index.prepareForSearch()
    return (index, lexical.queries)
}
let lexical: (index: LexicalIndex, queries: [String])? = {
    func texts(_ file: String) -> [String]? {
        guard let text = try? String(contentsOfFile: lexicalFolder + "/" + file, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])?["text"]
        }
    }
    guard let catalogue = texts("catalogue.jsonl"), let queries = texts("queries.jsonl"), !queries.isEmpty else { return nil }
    var index = try! LexicalIndex(fields: [LexicalField(name: "text")])
    for (i, text) in catalogue.enumerated() { try! index.add([text], id: .number(Int64(i))) }
    return (index, queries)
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    Benchmark("flat single query, 10k × 384", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for i in benchmark.scaledIterations { blackHole(try flat10k.search(data10k.queries.row(i % 1000), k: 10)) }
    }
    Benchmark("flat single query, 100k × 384") { benchmark in
        for i in benchmark.scaledIterations { blackHole(try flat100k.search(data100k.queries.row(i % 1000), k: 10)) }
    }
    Benchmark("flat 1000 batched queries, 10k × 384") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try flat10k.search(queries: data10k.queries, k: 10)) }
    }
    Benchmark("hnsw build, 10k × 384, M 16, efConstruction 200, all cores", configuration: .init(maxIterations: 5)) { benchmark in
        let ids = (0..<10_000).map { VectorID.number(Int64($0)) }
        for _ in benchmark.scaledIterations {
            var index = try HNSWIndex(dimension: dimension, metric: .innerProduct)
            try index.add(contentsOf: data10k.data, ids: ids)
            blackHole(index)
        }
    }
    Benchmark("hnsw single query, 100k × 384, ef 64", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for i in benchmark.scaledIterations { blackHole(try hnsw100k.search(data100k.queries.row(i % 1000), k: 10, ef: 64)) }
    }
    // A tool update in a serving process: a reader holds the published index while the writer
    // replaces one vector in its own copy, then publishes that copy. The first replacement after
    // a load moves the rows to buffers with room to grow (a copy of them all, once) and is not
    // measured.
    Benchmark("hnsw replace 1 vector while the index is published, 100k × 384", configuration: .init(maxIterations: 200)) { benchmark in
        var published = hnsw100k
        func replace(_ i: Int) throws {
            var next = published
            let id = VectorID.number(Int64(i % 100_000))
            try next.remove(id)
            try next.add(data100k.queries.row(i % 1000), id: id)
            published = next
        }
        try replace(0)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { try replace(i + 1) }
        benchmark.stopMeasurement()
        blackHole(published)
    }
    if FileManager.default.fileExists(atPath: lexicalFolder + "/catalogue.jsonl") {
        Benchmark("lexical top-10, 10k tools (LexicalBench catalogue, metatool queries)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            guard let lexical else { return }
            for i in benchmark.scaledIterations { blackHole(try lexical.index.search(lexical.queries[i % lexical.queries.count], k: 10)) }
        }
        Benchmark("lexical top-10, 10k tools, prepared (as the facade serves it)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            guard let lexical = preparedLexical else { return }
            for i in benchmark.scaledIterations { blackHole(try lexical.index.search(lexical.queries[i % lexical.queries.count], k: 10)) }
        }
    }
    if FileManager.default.fileExists(atPath: toolsPath) {
        Benchmark("flat single query, metatool tools (199 × 384)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            guard let tools else { return }
            for i in benchmark.scaledIterations { blackHole(try tools.index.search(tools.data.row(i % 199), k: 10)) }
        }
    }
}
