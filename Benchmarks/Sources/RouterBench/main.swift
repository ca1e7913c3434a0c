// Latency of AgentGantry.retrieveTools over a large catalog, without and with the encoder.
//
//   RouterBench [--tools 10000] [--queries 2000] [--concurrent 1000] [--minilm-rates 500,1000,1500,2000,2500,3000] [--minilm-seconds 3] [--minilm-batch-limit 16]
//   RouterBench --metatool DIR --toollens DIR [--tools 10000] [--vectors FILE.npy] [--rounds 3]
//   RouterBench --metatool DIR --toollens DIR --records FOLDER [--tools 10000] [--vectors FILE.npy] [--rounds 3]
//
// With the datasets: the seeded recombined catalogue of `BenchmarkCatalogue` (real tool texts)
// and its 2,000 metatool test queries, embedded once by MiniLM and served precomputed; one
// gantry retrieves dense only (lexicalWeight 0), one hybrid (the prior), the calls alternating
// between them so that both see the same load (each called first for half the queries); prints both p50s and their ratio as JSON.
// `--vectors` keeps the MiniLM vectors between runs (written when absent or of another shape);
// every query is asked `--rounds` times of each, the first round unrecorded (a warm-up).
// `--records FOLDER`: the same catalogue served with retrieval records and without (hybrid, the
// default weight), each gantry on its own store file in FOLDER, kept for measuring the records'
// bytes (`Benchmarks/compare/retrieval-record-size.sh`).
//
// Tools and queries are seeded synthetic 384-d vectors served by a PrecomputedEmbedder, so the
// figures exclude the encoder; the encoder's own time per query (MiniLM, when the model is
// present) is measured separately on real short queries, and whole calls of a gantry on MiniLM
// for texts asked once and asked again (served by the query cache). Then `--concurrent` tasks call
// retrieveTools at once, 5 calls each, and every call's latency (queueing included) is recorded;
// and retrievals on MiniLM at fixed arrival rates, with and without the batching of concurrent
// queries (below). Prints one JSON object.
import AgentGantry
import BenchmarkCatalogue
import Foundation
import GantryEmbed
import GantryIO
import GantryIndex
import GantryMath

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count, let value = Int(arguments[i + 1]) else { return fallback }
    return value
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func text(_ name: String) -> String? {
    CommandLine.arguments.firstIndex(of: "--" + name).flatMap { $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil }
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

if let metatool = text("metatool"), let toollens = text("toollens") {
    if let folder = text("records") {
        try await compareRecordedWithUnrecorded(metatool: metatool, toollens: toollens, tools: option("tools", 10_000),
                                                vectorsFile: text("vectors"), folder: folder)
    } else {
        try await compareHybridWithDense(metatool: metatool, toollens: toollens, tools: option("tools", 10_000), vectorsFile: text("vectors"))
    }
    exit(0)
}

/// `retrieveTools` latencies of `first` and `second` (a nil one is skipped) on every query,
/// `--rounds` times (the first round a warm-up, not recorded), the calls alternating and each
/// gantry first for half the queries: the second of two calls in a row runs warmer (7% faster in
/// one run). `context(i)` is the context of query `i`.
func alternatingTimes(_ first: AgentGantry?, _ second: AgentGantry?, queries: [String],
                      context: (Int) -> RoutingContext = { _ in RoutingContext() }) async throws -> (first: [Double], second: [Double]) {
    let clock = ContinuousClock()
    var times = (first: [Double](), second: [Double]())
    for round in 0..<option("rounds", 3) {
        for (i, query) in queries.enumerated() {
            for isFirst in i.isMultiple(of: 2) ? [true, false] : [false, true] {
                guard let gantry = isFirst ? first : second else { continue }
                let start = clock.now
                _ = try await gantry.retrieveTools(query, limit: 5, context: context(i))
                let elapsed = (clock.now - start).milliseconds
                if round > 0 { if isFirst { times.first.append(elapsed) } else { times.second.append(elapsed) } }
            }
        }
    }
    return times
}

/// The recombined catalogue's tools as `Tool`s, and an embedder serving their texts and the
/// queries' MiniLM vectors (computed once, kept in `vectorsFile`).
func recombined(metatool: String, toollens: String, count: Int, vectorsFile: String?) async throws
    -> (catalogue: RecombinedCatalogue, tools: [Tool], embedder: PrecomputedEmbedder, encodeSeconds: Double)
{
    let catalogue = try RecombinedCatalogue(metatool: metatool, toollens: toollens, count: count)
    let tools = catalogue.tools.map { tool in
        Tool(name: String(tool.name.map { $0.isWhitespace ? "_" : $0 }), description: tool.description,  // toollens names hold spaces
             parameters: tool.parameterNames.isEmpty ? nil
                : .object(["type": .string("object"), "properties": .object(Dictionary(uniqueKeysWithValues: tool.parameterNames.map {
                    ($0, JSONValue.object(["type": .string("string")]))
                }))]))
    }
    let texts = tools.map(\.embeddingText) + catalogue.queries
    let clock = ContinuousClock()
    let encodeStart = clock.now
    let vectors: Matrix
    if let vectorsFile, let kept = try? Matrix(NPYFile.read(vectorsFile)), kept.rows == texts.count {
        vectors = kept
    } else {
        vectors = try MiniLMEncoder(batchSize: 64).embed(texts)
        if let vectorsFile { try NPYFile.write(vectors, to: vectorsFile) }
    }
    let embedder = try PrecomputedEmbedder(texts: texts, vectors: vectors, modelIdentity: "minilm-precomputed")
    return (catalogue, tools, embedder, (clock.now - encodeStart).seconds)
}

/// `retrieveTools` with retrieval records against without, each gantry on its own store file in
/// `folder` (kept, to measure what the records take on disk), the calls alternating; every
/// query asked `--rounds` times of each, the first round unrecorded. Prints both p50s, their
/// ratio, and how many retrievals the store recorded.
func compareRecordedWithUnrecorded(metatool: String, toollens: String, tools count: Int, vectorsFile: String?, folder: String) async throws {
    let (catalogue, tools, embedder, _) = try await recombined(metatool: metatool, toollens: toollens, count: count, vectorsFile: vectorsFile)
    try? FileManager.default.removeItem(atPath: folder)
    func gantry(_ name: String, records: Bool) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: folder + "/\(name).sqlite")
        configuration.recordsRetrievals = records
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        try await gantry.register(tools)
        return gantry
    }
    let recorded = try await gantry("recorded", records: true), unrecorded = try await gantry("unrecorded", records: false)
    let loadBefore = loadAverage()
    let times = try await alternatingTimes(recorded, unrecorded, queries: catalogue.queries) { i in
        RoutingContext(user: "user-\(i % 50)", team: "team-\(i % 5)", session: "session-\(i / 4)")
    }
    // A report waits for its commit, and for the records queued before it.
    try await recorded.recordSelection(retrieval: try await recorded.retrieveTools(catalogue.queries[0]).id, tool: tools[0].name)
    let result: [String: Any] = [
        "tools": count, "queries": catalogue.queries.count, "calls_each": times.first.count,
        "recorded_p50_ms": percentile(times.first, 0.5), "unrecorded_p50_ms": percentile(times.second, 0.5),
        "recorded_p99_ms": percentile(times.first, 0.99), "unrecorded_p99_ms": percentile(times.second, 0.99),
        "recorded_over_unrecorded_p50": percentile(times.first, 0.5) / percentile(times.second, 0.5),
        "retrievals": option("rounds", 3) * catalogue.queries.count + 1, "distinct_queries": Set(catalogue.queries).count,
        "store": folder + "/recorded.sqlite", "load_before": loadBefore, "load_after": loadAverage(),
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}

/// Dense-only against hybrid `retrieveTools` on the recombined catalogue (see the header).
func compareHybridWithDense(metatool: String, toollens: String, tools count: Int, vectorsFile: String?) async throws {
    let (catalogue, tools, embedder, encodeSeconds) = try await recombined(metatool: metatool, toollens: toollens, count: count,
                                                                           vectorsFile: vectorsFile)
    let clock = ContinuousClock()
    func gantry(_ weight: Float?) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.lexicalWeight = weight
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        try await gantry.register(tools)
        return gantry
    }
    let dense = try await gantry(0), hybrid = try await gantry(nil)
    let loadBefore = loadAverage(), only = text("only")
    let (denseTimes, hybridTimes) = try await alternatingTimes(only == "hybrid" ? nil : dense, only == "dense" ? nil : hybrid,
                                                               queries: catalogue.queries)
    // The lexical leg alone: scoring, statistics and the top of the pool, as the ranker does them.
    var lexicalIndex = try LexicalIndex(fields: [LexicalField(name: "text")])
    for tool in tools { try lexicalIndex.add([tool.lexicalText], id: .name(tool.name)) }
    lexicalIndex.prepareForSearch()
    var lexicalTimes = [Double]()
    for query in catalogue.queries {
        let start = clock.now
        let scores = lexicalIndex.scoring(query)
        _ = scores.statistics
        _ = try scores.top(20)
        lexicalTimes.append((clock.now - start).milliseconds)
    }
    let result: [String: Any] = [
        "lexical_leg_p50_ms": percentile(lexicalTimes, 0.5),
        "tools": count, "queries": catalogue.queries.count, "calls_each": denseTimes.count, "encode_seconds": encodeSeconds,
        "dense_p50_ms": percentile(denseTimes, 0.5), "dense_p99_ms": percentile(denseTimes, 0.99),
        "hybrid_p50_ms": percentile(hybridTimes, 0.5), "hybrid_p99_ms": percentile(hybridTimes, 0.99),
        "hybrid_over_dense_p50": denseTimes.isEmpty || hybridTimes.isEmpty ? NSNull() : percentile(hybridTimes, 0.5) / percentile(denseTimes, 0.5),
        "load_before": loadBefore, "load_after": loadAverage(),
    ]
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
}

let toolCount = option("tools", 10_000), queryCount = option("queries", 2_000), concurrent = option("concurrent", 1_000)
let dimension = 384
let data = SyntheticEmbeddings.clustered(count: toolCount + queryCount, dimension: dimension, clusters: max(10, toolCount / 20), seed: 7)
let tools = (0..<toolCount).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0)", tags: $0 % 2 == 0 ? ["even"] : ["odd"]) }
let queryTexts = (0..<queryCount).map { "query \($0)" }
let embedder = try PrecomputedEmbedder(texts: tools.map(\.embeddingText) + queryTexts, vectors: data, modelIdentity: "synthetic")

var configuration = GantryConfiguration(storePath: nil)
let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
let clock = ContinuousClock()
let registerStart = clock.now
try await gantry.register(tools)
let registerSeconds = (clock.now - registerStart).seconds
for i in 0..<50 {  // some feedback so the memory is consulted
    try await gantry.recordFeedback(query: queryTexts[i], selectedTool: "tool_\(i)", correctTool: "tool_\(i + 1)")
}

var single = [Double]()
for round in 0..<2 {
    for q in queryTexts {
        let start = clock.now
        _ = try await gantry.retrieveTools(q, limit: 5, context: RoutingContext(user: "u", team: "t", session: "s"))
        if round == 1 { single.append((clock.now - start).milliseconds) }
    }
}

// The encoder's share: MiniLM on short queries, one at a time; then whole calls of a gantry on
// MiniLM (200 tools) for 200 texts asked once (encoded) and asked again (the query cache).
var encoderTimes = [Double](), encodedCalls = [Double](), cachedCalls = [Double]()
if let encoder = try? MiniLMEncoder(batchSize: 1) {
    let texts = ["cancel my subscription", "send a message to the team", "book a flight to Berlin on Friday", "refund the last invoice"]
    for i in 0..<200 {
        let start = clock.now
        _ = try encoder.embed([texts[i % texts.count]])
        if i >= 20 { encoderTimes.append((clock.now - start).milliseconds) }
    }
    let minilm = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: encoder)
    try await minilm.register(Array(tools.prefix(200)))
    let asked = (0..<200).map { "\(texts[$0 % texts.count]) number \($0)" }
    for round in 0..<2 {
        for text in asked {
            let start = clock.now
            _ = try await minilm.retrieveTools(text, limit: 5)
            if round == 0 { encodedCalls.append((clock.now - start).milliseconds) } else { cachedCalls.append((clock.now - start).milliseconds) }
        }
    }
}

// Retrievals on MiniLM at fixed arrival rates (`--minilm-rates`, calls per second, each for
// `--minilm-seconds`): open loop, each call's latency counted from its scheduled time (64 tasks
// take the calls in turn), every text asked once (short synthetic requests, 12–16 tokens). Each
// rate is served by a gantry whose queries share the encoder's passes (`queryBatchLimit`: the
// default, or `--minilm-batch-limit`) and by one whose queries are each encoded on their own thread
// (`queryBatchLimit` 1), one after the other. `--minilm-rates ""` skips this part.
let minilmRates = (CommandLine.arguments.firstIndex(of: "--minilm-rates").flatMap { CommandLine.arguments.dropFirst($0 + 1).first }
    ?? "500,1000,1500,2000,2500,3000").split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
let minilmSeconds = option("minilm-seconds", 3)
var openLoop = [[String: Any]]()
if !minilmRates.isEmpty, let encoder = try? MiniLMEncoder() {
    func gantry(batchLimit: Int) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: nil)
        (configuration.queryBatchLimit, configuration.queryCacheEntries) = (batchLimit, 0)
        let gantry = try await AgentGantry(configuration: configuration, embedder: encoder)
        try await gantry.register(Array(tools.prefix(200)))
        return gantry
    }
    let batchLimit = option("minilm-batch-limit", GantryConfiguration(storePath: nil).queryBatchLimit)
    let batching = try await gantry(batchLimit: batchLimit), alone = try await gantry(batchLimit: 1)
    let verbs = ["cancel", "refund", "schedule", "translate", "summarise", "export", "archive", "restart"]
    let objects = ["the invoice", "my subscription", "a meeting with the sales team", "the weekly report", "this support ticket"]
    var asked = 0
    /// Latencies (ms) of `rate` calls a second for `minilmSeconds`, and the seconds until the last returned.
    func run(_ gantry: AgentGantry, rate: Int) async throws -> (times: [Double], seconds: Double) {
        let calls = rate * minilmSeconds, interval = Duration.seconds(1) / rate, tasks = 64, first = asked
        asked += calls
        let start = clock.now + .milliseconds(20)
        let times = try await withThrowingTaskGroup(of: [Double].self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var times = [Double]()
                    for call in stride(from: task, to: calls, by: tasks) {
                        let due = start + interval * call
                        try await Task.sleep(until: due, clock: clock)
                        let i = first + call
                        let text = "please \(verbs[i % verbs.count]) \(objects[(i / verbs.count) % objects.count]) for customer \(i) by friday"
                        _ = try await gantry.retrieveTools(text, limit: 5)
                        times.append((clock.now - due).milliseconds)
                    }
                    return times
                }
            }
            var all = [Double]()
            for try await times in group { all += times }
            return all
        }
        return (times, (clock.now - start).milliseconds / 1000)
    }
    for rate in minilmRates {
        var row: [String: Any] = ["rate": rate, "batch_limit": batchLimit, "load_before": loadAverage()]
        for (name, gantry) in [("batched", batching), ("alone", alone)] {
            let before = gantry.queryBatchStatistics
            let (times, seconds) = try await run(gantry, rate: rate)
            let after = gantry.queryBatchStatistics
            row[name + "_p50_ms"] = percentile(times, 0.5)
            row[name + "_p99_ms"] = percentile(times, 0.99)
            row[name + "_calls_per_second"] = Double(times.count) / seconds
            row[name + "_texts_per_pass"] = Double(after.texts - before.texts) / Double(max(1, after.passes - before.passes))
        }
        openLoop.append(row)
    }
}

let burstStart = clock.now
let concurrentTimes = try await withThrowingTaskGroup(of: [Double].self) { group in
    for t in 0..<concurrent {
        group.addTask {
            var times = [Double]()
            for k in 0..<5 {
                let start = ContinuousClock.now
                _ = try await gantry.retrieveTools(queryTexts[(t * 5 + k) % queryCount], limit: 5)
                times.append((ContinuousClock.now - start).milliseconds)
            }
            return times
        }
    }
    var all = [Double]()
    for try await times in group { all += times }
    return all
}
let burstSeconds = (clock.now - burstStart).milliseconds / 1000

let result: [String: Any] = [
    "tools": toolCount, "register_seconds": registerSeconds,
    "single_p50_ms": percentile(single, 0.5), "single_p99_ms": percentile(single, 0.99),
    "encoder_p50_ms": encoderTimes.isEmpty ? NSNull() : percentile(encoderTimes, 0.5),
    "minilm_call_p50_ms": encodedCalls.isEmpty ? NSNull() : percentile(encodedCalls, 0.5),
    "minilm_cached_call_p50_ms": cachedCalls.isEmpty ? NSNull() : percentile(cachedCalls, 0.5),
    "concurrent_tasks": concurrent, "concurrent_calls": concurrentTimes.count,
    "concurrent_p50_ms": percentile(concurrentTimes, 0.5), "concurrent_p99_ms": percentile(concurrentTimes, 0.99),
    "concurrent_calls_per_second": Double(concurrentTimes.count) / burstSeconds,
    "minilm_open_loop": openLoop,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
