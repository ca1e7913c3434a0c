// FlatIndex and HNSWIndex at tool-routing sizes: single queries over 10k and 100k vectors
// (384-d, seeded clustered data), 1000 batched queries, an HNSW build, and HNSW search at
// ef 64. The 100k graph is built once and cached under .build/bench-cache. Side-by-side
// figures against FAISS, hnswlib and USearch come from compare/run-index-compare.sh.
import Benchmark
import Foundation
import GantryIndex
import GantryMath

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
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

    for count in [10_000, 100_000] {
        Benchmark("flat single query, \(count / 1000)k × 384") { benchmark in
            let (data, queries) = dataset(count)
            let index = flatIndex(data)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations { blackHole(try index.search(queries.row(i % 1000), k: 10)) }
        }
    }
    Benchmark("flat 1000 batched queries, 10k × 384", configuration: .init(maxIterations: 50)) { benchmark in
        let (data, queries) = dataset(10_000)
        let index = flatIndex(data)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try index.search(queries: queries, k: 10)) }
    }
    Benchmark("hnsw build, 10k × 384, M 16, efConstruction 200", configuration: .init(maxIterations: 3)) { benchmark in
        let (data, _) = dataset(10_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var index = try HNSWIndex(dimension: dimension, metric: .innerProduct)
            try index.add(contentsOf: data, ids: (0..<data.rows).map { .number(Int64($0)) })
            blackHole(index)
        }
    }
    Benchmark("hnsw single query, 100k × 384, ef 64") { benchmark in
        let (data, queries) = dataset(100_000)
        let cache = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/bench-cache").path
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let path = cache + "/hnsw-100k.gidx"
        let index: HNSWIndex
        if let cached = try? HNSWIndex.load(from: path) {
            index = cached
        } else {
            var built = try HNSWIndex(dimension: dimension, metric: .innerProduct)
            try built.add(contentsOf: data, ids: (0..<data.rows).map { .number(Int64($0)) })
            try built.save(to: path)
            index = built
        }
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations { blackHole(try index.search(queries.row(i % 1000), k: 10, ef: 64)) }
    }
    // The catalogue size tool routing lives at: the real MetaTool tool embeddings, when
    // ../shared/datasets is beside the repository.
    let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../../shared/datasets/metatool/tools.npy").standardized.path
    if FileManager.default.fileExists(atPath: tools) {
        Benchmark("flat single query, metatool tools (199 × 384)") { benchmark in
            let data = try NPYFile.read(tools)
            let index = flatIndex(data)
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations { blackHole(try index.search(data.row(i % 199), k: 10)) }
        }
    }
}
