// Our side of the index comparison (Benchmarks/compare/run-index-compare.sh).
//
//   IndexCompare generate --count N --queries Q --dimension D --seed S --out DIR
//       writes DIR/data.npy and DIR/queries.npy (held-out points of the same clusters)
//   IndexCompare measure --data X.npy --queries Q.npy --threads T [--m 16 --ef-construction 200
//                        --ef 10,16,32,64,128,256 --k 10 --kinds flat,hnsw --label NAME]
//       prints one JSON line per (index, ef): build seconds, resident-memory growth while building
//       (and the index's own byte count), recall@10
//       against exact search, single-query QPS (one thread) and batch QPS (T threads).
import Foundation
import GantryIndex
import GantryIO
import GantryMath

struct Arguments {
    var values: [String: String] = [:]
    init(_ list: ArraySlice<String>) {
        var iterator = list.makeIterator()
        while let key = iterator.next() {
            guard key.hasPrefix("--") else { fatalError("unexpected argument \(key)") }
            values[String(key.dropFirst(2))] = iterator.next() ?? ""
        }
    }
    func string(_ key: String, _ fallback: String? = nil) -> String {
        guard let value = values[key] ?? fallback else { fatalError("missing --\(key)") }
        return value
    }
    func int(_ key: String, _ fallback: Int? = nil) -> Int { Int(string(key, fallback.map(String.init)))! }
}

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(nil)
}

/// Queries per second of one-at-a-time search on this thread, for about `budget` seconds.
func singleQPS(_ queries: Matrix, budget: Double = 2, _ search: (ArraySlice<Float>) throws -> [SearchResult]) rethrows -> Double {
    var done = 0
    let start = now()
    repeat {
        for row in 0..<queries.rows {
            _ = try search(queries.row(row))
            done += 1
            if row % 16 == 15, now() - start > budget { break }
        }
    } while now() - start < budget / 4
    return Double(done) / (now() - start)
}

func recall(_ found: [[SearchResult]], _ exact: [[SearchResult]]) -> Double {
    zip(found, exact).map { f, e in Double(Set(f.map(\.id)).intersection(e.map(\.id)).count) / Double(max(e.count, 1)) }
        .reduce(0, +) / Double(max(found.count, 1))
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fatalError("usage: IndexCompare generate|measure --…") }
let options = Arguments(arguments.dropFirst(2))

switch arguments[1] {
case "generate":
    let count = options.int("count"), queryCount = options.int("queries", 1000), dimension = options.int("dimension", 384)
    let all = SyntheticEmbeddings.clustered(count: count + queryCount, dimension: dimension, clusters: max(10, count / 20),
                                            seed: UInt64(options.int("seed", 1)))
    let out = options.string("out")
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try NPYFile.write(Matrix(rows: count, cols: dimension, values: Array(all.values[0..<(count * dimension)])), to: out + "/data.npy")
    try NPYFile.write(Matrix(rows: queryCount, cols: dimension, values: Array(all.values[(count * dimension)...])), to: out + "/queries.npy")

case "measure":
    let data = Matrix(try NPYFile.read(options.string("data")))
    let queries = Matrix(try NPYFile.read(options.string("queries")))
    let threads = options.int("threads", 1), k = options.int("k", 10)
    let label = options.string("label", "")
    let kinds = options.string("kinds", "flat,hnsw").split(separator: ",")
    let efs = options.string("ef", "10,16,32,64,128,256").split(separator: ",").map { Int($0)! }
    try BLAS.setThreadCount(threads)
    let blas = try BLAS.status()
    let ids = (0..<data.rows).map { VectorID.number(Int64($0)) }
    let common: [String: Any] = ["library": "AgentGantry", "threads": threads, "dataset": label, "n": data.rows,
                                 "blas_kernels": blas.coreName ?? "?", "simd": "\(SIMDKernels.activeLevel)"]

    // HNSW first, so its resident-memory growth is not hidden by memory the flat index freed.
    var hnswResults: [(ef: Int, found: [[SearchResult]], batch: Double, single: Double)] = []
    var hnswBuild = 0.0, hnswMemory = 0, hnswFootprint = 0
    if kinds.contains("hnsw") {
        let parameters = HNSWIndex.Parameters(m: options.int("m", 16), efConstruction: options.int("ef-construction", 200))
        // --reuse FILE: load the graph from FILE if it exists (else build and save it there); for
        // profiling search without rebuilding. Build figures are then 0.
        let reuse = options.values["reuse"]
        let before = residentBytes()
        let start = now()
        var hnsw: HNSWIndex
        if let reuse, FileManager.default.fileExists(atPath: reuse) {
            hnsw = try HNSWIndex.load(from: reuse)
        } else {
            hnsw = try HNSWIndex(dimension: data.cols, metric: .innerProduct, parameters: parameters)
            try hnsw.add(contentsOf: data, ids: ids, threads: threads)
            hnswBuild = now() - start
            if let reuse { try hnsw.save(to: reuse) }
        }
        hnswMemory = residentBytes() - before
        hnswFootprint = hnsw.memoryFootprint
        for ef in efs {
            let start = now()
            let found = try hnsw.search(queries: queries, k: k, ef: ef, threads: threads)
            let batch = Double(queries.rows) / (now() - start)
            let single = try singleQPS(queries, budget: 1) { try hnsw.search($0, k: k, ef: ef) }
            hnswResults.append((ef, found, batch, single))
        }
    }

    var start = now()
    var flat = try FlatIndex(dimension: data.cols, metric: .innerProduct)
    try flat.add(contentsOf: data, ids: ids)
    // The flat index reuses memory the graph freed, so its growth is its byte count.
    let flatBuild = now() - start, flatMemory = flat.memoryFootprint
    start = now()
    let exact = try flat.search(queries: queries, k: k)
    let flatBatch = Double(queries.rows) / (now() - start)
    if kinds.contains("flat") {
        let single = try singleQPS(queries) { try flat.search($0, k: k) }
        emit(common.merging(["index": "flat", "build_s": flatBuild, "memory_mb": Double(flatMemory) / 1e6,
                             "footprint_mb": Double(flat.memoryFootprint) / 1e6, "recall": 1.0,
                             "qps_single": single, "qps_batch": flatBatch]) { $1 })
    }
    for result in hnswResults {
        emit(common.merging(["index": "hnsw", "ef": result.ef, "build_s": hnswBuild, "memory_mb": Double(hnswMemory) / 1e6,
                             "footprint_mb": Double(hnswFootprint) / 1e6, "recall": recall(result.found, exact),
                             "qps_single": result.single, "qps_batch": result.batch]) { $1 })
    }

default:
    fatalError("unknown mode \(arguments[1])")
}
