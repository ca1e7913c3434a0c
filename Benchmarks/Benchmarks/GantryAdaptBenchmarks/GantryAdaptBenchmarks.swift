// The adapter at serving and training sizes (d = 384, r = 32, seeded synthetic data): adapting
// one query (SIMD, no allocation), a batch of 1,000 queries (two sgemm calls), and one epoch of
// training over 2,000 queries and 200 tools (mining, steps at batch 256, validation). Side-by-side
// figures against PyTorch come from compare/run-adapter-compare.sh.
import Benchmark
import GantryAdapt
import GantryIndex
import GantryMath

let dimension = 384
let data = SyntheticEmbeddings.clustered(count: 2200, dimension: dimension, clusters: 200, seed: 3)
let tools = try! Matrix(rows: 200, cols: dimension, values: Array(data.values[0..<(200 * dimension)]))
let queries = try! Matrix(rows: 2000, cols: dimension, values: Array(data.values[(200 * dimension)...]))
/// Fixed arbitrary labels: the cost of an epoch does not depend on what they mean.
let labels: [[Int]] = (0..<2000).map { [($0 * 7919) % 200] }
let adapter: LowRankAdapter = {
    var rng = SplitMix64(seed: 1)
    var a = try! LowRankAdapter.identity(dimension: dimension, rank: 32)
    a.up = Matrix.randomNormal(rows: 32, cols: dimension, using: &rng)
    return a
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )
    Benchmark("adapt 1 query (r 32, d 384)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        var output = [Float](repeating: 0, count: dimension)
        queries.withUnsafeBufferPointer { all in
            output.withUnsafeMutableBufferPointer { out in
                for i in benchmark.scaledIterations {
                    let row = i % 2000
                    try? adapter.adaptQuery(UnsafeBufferPointer(rebasing: all[row * dimension..<(row + 1) * dimension]), into: out)
                }
            }
        }
        blackHole(output)
    }
    Benchmark("adapt 1000 queries (batch)") { benchmark in
        let batch = try Matrix(rows: 1000, cols: dimension, values: Array(queries.values[0..<(1000 * dimension)]))
        for _ in benchmark.scaledIterations { blackHole(try adapter.adaptQueries(batch)) }
    }
    Benchmark("train 1 epoch, 2000 queries × 200 tools, batch 256, r 32", configuration: .init(maxIterations: 20)) { benchmark in
        var configuration = TrainingConfiguration()
        configuration.epochs = 1
        let examples = try TrainingExamples(queries: queries, positives: labels)
        let ids = (0..<200).map { "tool_\($0)" }
        for _ in benchmark.scaledIterations {
            blackHole(try TripletTrainer(configuration).train(tools: tools, toolIDs: ids, examples: examples))
        }
    }
}
