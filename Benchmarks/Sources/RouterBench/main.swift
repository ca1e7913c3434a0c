// Latency of AgentGantry.retrieveTools over a large catalog, without and with the encoder.
//
//   RouterBench [--tools 10000] [--queries 2000] [--concurrent 1000]
//
// Tools and queries are seeded synthetic 384-d vectors served by a PrecomputedEmbedder, so the
// figures exclude the encoder; the encoder's own time per query (MiniLM, when the model is
// present) is measured separately on real short queries. Then `--concurrent` tasks call
// retrieveTools at once, 5 calls each, and every call's latency (queueing included) is recorded.
// Prints one JSON object.
import AgentGantry
import Foundation
import GantryEmbed
import GantryIndex
import GantryMath

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count, let value = Int(arguments[i + 1]) else { return fallback }
    return value
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
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

// The encoder's share: MiniLM on short queries, one at a time.
var encoderTimes = [Double]()
if let encoder = try? MiniLMEncoder(batchSize: 1) {
    let texts = ["cancel my subscription", "send a message to the team", "book a flight to Berlin on Friday", "refund the last invoice"]
    for i in 0..<200 {
        let start = clock.now
        _ = try encoder.embed([texts[i % texts.count]])
        if i >= 20 { encoderTimes.append((clock.now - start).milliseconds) }
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
    "concurrent_tasks": concurrent, "concurrent_calls": concurrentTimes.count,
    "concurrent_p50_ms": percentile(concurrentTimes, 0.5), "concurrent_p99_ms": percentile(concurrentTimes, 0.99),
    "concurrent_calls_per_second": Double(concurrentTimes.count) / burstSeconds,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
