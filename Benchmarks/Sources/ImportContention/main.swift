// How long other writers wait while one process imports a large event log (issue "Many
// processes, one learning state": other writers wait ≤ 100 ms while an import runs).
//
//   ImportContention [--events 100000] [--interval-ms 10]
//
// Builds a log of --events feedback events (384-d query vectors: ~2.7 KB a line), opens two
// AgentGantry on one store file (two connections, as two processes have; SQLite's write lock is
// the file's either way), and while the first imports the log, the second records an execution
// every --interval-ms and times each call, and a third connection (the store alone) appends an
// event as often. Prints one JSON object: the log's size, the import's time, and both writers'
// p50/p99/max latency during the import, with the load average. The store's append waits for the
// write lock only; the facade's call also folds the events committed before its own (a process
// reads its own write once the call returns), imported ones included.
@_spi(StoreImplementation) import AgentGantry
import Foundation
import GantryEmbed
import GantryIndex
import GantryMath
import Synchronization

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count, let value = Int(arguments[i + 1]) else { return fallback }
    return value
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

let eventCount = option("events", 100_000), interval = option("interval-ms", 10), dimension = 384
let tools = (0..<20).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0)") }
let embedder = try PrecomputedEmbedder(texts: tools.map(\.embeddingText),
                                       vectors: SyntheticEmbeddings.clustered(count: tools.count, dimension: dimension, seed: 3),
                                       modelIdentity: "synthetic")
var random = SplitMix64(seed: 11)
let log = (0..<eventCount).map { i in
    let vector = (0..<dimension).map { _ in String(format: "%.6f", random.nextGaussian()) }.joined(separator: ",")
    return #"{"at":1700000000,"correct_tool":"tool_\#(i % 20)","feedback_type":"tool_selection_error","kind":"feedback","#
        + #""model":"synthetic","query":"query \#(i)","query_vector":[\#(vector)]}"#
}.joined(separator: "\n")

let folder = NSTemporaryDirectory() + "gantry-import-contention-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: folder) }
let path = folder + "/store.sqlite"
let importer = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
try await importer.register(tools)
let writer = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
let store = try SQLiteStore(path: path)

func milliseconds(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }

let clock = ContinuousClock()
let finished = Mutex<Duration?>(nil)
let start = clock.now
let importing = Task {
    let count = try await importer.importEvents(log)
    finished.withLock { $0 = clock.now - start }
    return count
}
var latencies = [Double](), appends = [Double]()
while finished.withLock({ $0 }) == nil {
    var began = clock.now
    try await writer.recordExecution(tool: "tool_\(latencies.count % 20)", outcome: .success)
    latencies.append(milliseconds(clock.now - began))
    began = clock.now
    _ = try await store.appendEvents([.execution(ExecutionEvent(id: 0, at: Date(), user: nil, team: nil, session: nil, tool: "tool_0",
                                                                outcome: .success, latencyMilliseconds: nil, intent: nil))])
    appends.append(milliseconds(clock.now - began))
    try await Task.sleep(for: .milliseconds(interval))
}
let imported = try await importing.value
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}
let report: [String: Any] = [
    "events": imported, "logMB": Double(log.utf8.count) / 1e6, "importSeconds": milliseconds(finished.withLock { $0 }!) / 1e3,
    "otherWrites": latencies.count, "otherWriteP50Ms": percentile(latencies, 0.5), "otherWriteP99Ms": percentile(latencies, 0.99),
    "otherWriteMaxMs": latencies.max() ?? .nan, "storeAppendP50Ms": percentile(appends, 0.5), "storeAppendP99Ms": percentile(appends, 0.99),
    "storeAppendMaxMs": appends.max() ?? .nan, "loadAverage": loadAverage(),
]
print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
