// Open-loop latency of AgentGantry under mixed load: retrievals and writes issued at fixed
// times, each call's latency counted from the time it was scheduled, so a router that stalls
// shows as latency rather than as a lower request rate (a closed loop of N tasks measures queue
// depth instead). Targets of the issue "Many processes, one learning state": at 10k tools,
// retrievals at 2k/s over 64 tasks and writes at 1k events/s, retrieveTools p50 ≤ 1 ms and
// p99 ≤ 5 ms, encoder excluded.
//
//   OpenLoop [--tools 10000] [--seconds 20] [--retrievals 2000] [--writes 1000] [--feedback-percent 10] [--timeline 1]
//
// Tools and queries are seeded synthetic 384-d vectors served by a PrecomputedEmbedder (the
// encoder is excluded); the store is a file in a temporary folder (every commit durable).
// Writes are recordExecution, and recordFeedback for --feedback-percent of them. Prints one
// JSON object with p50/p90/p99/max per call type, the rates reached, the load average, the cores
// and the SIMD level the kernels run at. `--timeline 1` adds, per second of the run and call type, the p50, p99 and max
// of the calls scheduled in that second (to see when a tail happens).
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

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

let toolCount = option("tools", 10_000), seconds = option("seconds", 20)
let retrievalRate = option("retrievals", 2_000), writeRate = option("writes", 1_000), feedbackPercent = option("feedback-percent", 10)
let retrievalTasks = 64, writeTasks = 16, queryCount = 4_000, dimension = 384
let data = SyntheticEmbeddings.clustered(count: toolCount + queryCount, dimension: dimension, clusters: max(10, toolCount / 20), seed: 7)
let tools = (0..<toolCount).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0)") }
let queries = (0..<queryCount).map { "query \($0)" }
let embedder = try PrecomputedEmbedder(texts: tools.map(\.embeddingText) + queries, vectors: data, modelIdentity: "synthetic")

let folder = NSTemporaryDirectory() + "gantry-openloop-\(UUID().uuidString)"
defer { try? FileManager.default.removeItem(atPath: folder) }
var configuration = GantryConfiguration(storePath: folder + "/gantry.sqlite")
configuration.followInterval = nil  // one process: nothing to follow
let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
try await gantry.register(tools)
for i in 0..<200 {  // some feedback, so the memory is consulted
    try await gantry.recordFeedback(query: queries[i], selectedTool: "tool_\(i % toolCount)", correctTool: "tool_\((i * 7) % toolCount)")
}
let loadAtStart = loadAverage()

/// Latencies in milliseconds, from each call's scheduled time to its return.
actor Recorder {
    var samples: [String: [Double]] = [:]
    /// Latencies by the second of the run the call was scheduled in.
    var bySecond: [String: [Int: [Double]]] = [:]
    var errors = 0
    func add(_ kind: String, _ milliseconds: Double, second: Int) {
        samples[kind, default: []].append(milliseconds)
        bySecond[kind, default: [:]][second, default: []].append(milliseconds)
    }
    func failed() { errors += 1 }
}
let recorder = Recorder()
let clock = ContinuousClock()
let start = clock.now + .milliseconds(200)
let end = start + .seconds(seconds)

/// Runs `call` at `start + offset + k · interval` until `end`, recording each latency under `kind`.
func schedule(every interval: Duration, offset: Duration, _ call: @escaping @Sendable (Int) async throws -> String) async {
    var k = 0
    while true {
        let due = start + offset + interval * k
        guard due < end else { return }
        try? await Task.sleep(until: due, clock: clock)
        do {
            let kind = try await call(k)
            await recorder.add(kind, (clock.now - due).milliseconds, second: Int((due - start).milliseconds / 1_000))
        } catch {
            await recorder.failed()
        }
        k += 1
    }
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1e3 + Double(components.attoseconds) * 1e-15 }
}

await withTaskGroup(of: Void.self) { group in
    let retrievalInterval = Duration.seconds(Double(retrievalTasks) / Double(max(1, retrievalRate)))
    for task in 0..<(retrievalRate > 0 ? retrievalTasks : 0) {
        group.addTask {
            await schedule(every: retrievalInterval, offset: retrievalInterval * task / retrievalTasks) { k in
                _ = try await gantry.retrieveTools(queries[(task * 997 + k * 31) % queryCount], limit: 5)
                return "retrieveTools"
            }
        }
    }
    let writeInterval = Duration.seconds(Double(writeTasks) / Double(max(1, writeRate)))
    for task in 0..<(writeRate > 0 ? writeTasks : 0) {
        group.addTask {
            await schedule(every: writeInterval, offset: writeInterval * task / writeTasks) { k in
                let n = task * 100_003 + k
                if n % 100 < feedbackPercent {
                    try await gantry.recordFeedback(query: queries[n % queryCount], selectedTool: "tool_\(n % toolCount)",
                                                    correctTool: "tool_\((n * 13) % toolCount)")
                    return "recordFeedback"
                }
                try await gantry.recordExecution(tool: "tool_\(n % toolCount)", outcome: n % 10 == 0 ? .failure : .success,
                                                 latency: .milliseconds(20 + n % 50))
                return "recordExecution"
            }
        }
    }
}

var report: [String: Any] = ["tools": toolCount, "seconds": seconds, "retrievalsPerSecond": retrievalRate, "writesPerSecond": writeRate,
                             "feedbackPercent": feedbackPercent, "errors": await recorder.errors,
                             "loadAverageAtStart": loadAtStart, "loadAverageAtEnd": loadAverage(), "cores": ProcessInfo.processInfo.activeProcessorCount,
                             "simd": "\(SIMDKernels.activeLevel)"]
for (kind, samples) in await recorder.samples {
    let sorted = samples.sorted()
    report[kind] = ["calls": sorted.count, "perSecond": Double(sorted.count) / Double(seconds),
                    "p50ms": percentile(sorted, 0.5), "p90ms": percentile(sorted, 0.9), "p99ms": percentile(sorted, 0.99), "maxMs": sorted.last ?? .nan]
}
if option("timeline", 0) != 0 {
    var timeline: [String: [[String: Double]]] = [:]
    for (kind, seconds) in await recorder.bySecond {
        timeline[kind] = seconds.keys.sorted().map { second in
            let sorted = seconds[second]!.sorted()
            return ["second": Double(second), "p50ms": percentile(sorted, 0.5), "p99ms": percentile(sorted, 0.99), "maxMs": sorted.last!]
        }
    }
    report["timeline"] = timeline
}
let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
print(String(decoding: json, as: UTF8.self))
