// Soak: many tasks call one AgentGantry (10,000 tools, HNSW, a store on disk) with a mix of
// calls for a fixed time: 88% retrieveTools, 8% recordExecution, 2% recordFeedback, 1% tool
// updates (re-embedded and re-indexed), 1% breaker reads, and train() every --train-every
// seconds. Reports throughput, p50/p99 per call, errors, memory in use after warm-up and at the
// end (with the bound its growth must stay under), resident memory, and the store's size.
//
//   Soak [--seconds 20] [--tasks 64] [--tools 10000] [--train-every 10] [--json F]
import AgentGantry
import Foundation
import GantryEmbed
import GantryMath
import HeapUsage

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count, let value = Int(arguments[i + 1]) else { return fallback }
    return value
}

/// Any text → a deterministic unit vector: a Gaussian draw seeded by the text's first
/// `tool_N` word (so a tool and the queries naming it share a direction) plus half as much
/// seeded by the whole text. Stands in for MiniLM so the soak measures the router and the
/// store, not the encoder.
struct SeededEmbedder: Embedder {
    let dimension = 384
    let modelIdentity = "soak-seeded"

    static func seed(_ text: some StringProtocol) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    func embed(_ texts: [String]) throws -> Matrix {
        var matrix = Matrix(rows: texts.count, cols: dimension)
        for (row, text) in texts.enumerated() {
            let word = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).first { $0.hasPrefix("tool_") }
            var shared = SplitMix64(seed: Self.seed(word ?? Substring(text))), own = SplitMix64(seed: Self.seed(text))
            var norm: Float = 0
            for c in 0..<dimension {
                let value = shared.nextGaussian() + 0.5 * own.nextGaussian()
                matrix[row, c] = value
                norm += value * value
            }
            for c in 0..<dimension { matrix[row, c] /= norm.squareRoot() }
        }
        return matrix
    }
}

/// Memory the process has allocated and not freed (glibc's count over every arena), which the
/// bound compares. Resident memory is reported beside it but not bounded: freed blocks that
/// per-thread arenas keep (the encoder's and the trainer's worker threads leave some in theirs,
/// more when the machine is busy and more threads run) are not a leak, and a CI run on a faster
/// host once ended 67 MB above its start in resident memory while a quiet one ended 0.1 MB below.
func heapMegabytes() -> Double { Double(heap_bytes_in_use()) / 1_048_576 }

func residentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Double(line.split(separator: " ")[1]) else { return 0 }
    return kilobytes / 1024
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

struct Tally: Sendable {
    var latencies: [String: [Double]] = [:]
    var errors: [String] = []
    var feedback = 0
}

let seconds = option("seconds", 20), taskCount = option("tasks", 64), toolCount = option("tools", 10_000)
let trainEvery = option("train-every", 10)
let folder = NSTemporaryDirectory() + "gantry-soak-\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let storePath = folder + "/gantry.sqlite"

let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: storePath), embedder: SeededEmbedder())
let clock = ContinuousClock()
let setupStart = clock.now
let tools = (0..<toolCount).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0) of domain \($0 % 40)", tags: ["d\($0 % 40)"]) }
try await gantry.register(tools)
print("registered \(toolCount) tools in \(clock.now - setupStart); \(taskCount) tasks for \(seconds) s")

/// One task's calls until `deadline`.
func worker(_ id: Int, until deadline: ContinuousClock.Instant) async -> Tally {
    var tally = Tally()
    var rng = SplitMix64(seed: UInt64(id + 1_000))
    var call = 0
    while clock.now < deadline {
        call += 1
        let tool = Int(rng.next() % UInt64(toolCount))
        let context = RoutingContext(user: "u\(id % 50)", team: "t\(id % 4)", session: "s\(id)-\(call / 5)")
        let roll = rng.next() % 100
        let start = clock.now
        let kind: String
        do {
            switch roll {
            case 0..<88:
                kind = "retrieveTools"
                _ = try await gantry.retrieveTools("query for tool_\(tool) variant \(rng.next() % 1_000)", limit: 5, context: context)
            case 88..<96:
                kind = "recordExecution"
                try await gantry.recordExecution(tool: "tool_\(tool)", outcome: rng.next() % 10 == 0 ? .failure : .success,
                                                 latency: .milliseconds(Int(rng.next() % 500)), context: context)
            case 96..<98:
                kind = "recordFeedback"
                try await gantry.recordFeedback(query: "query for tool_\(tool) variant \(rng.next() % 1_000)", selectedTool: "tool_\((tool + 1) % toolCount)",
                                                correctTool: "tool_\(tool)", context: context)
                tally.feedback += 1
            case 98:
                kind = "register"
                try await gantry.register(Tool(name: "tool_\(tool)", description: "synthetic tool \(tool), revision \(call)", tags: ["d\(tool % 40)"]))
            default:
                kind = "breakerState"
                _ = try await gantry.breakerState(of: "tool_\(tool)")
            }
            tally.latencies[kind, default: []].append((clock.now - start).milliseconds)
        } catch {
            tally.errors.append("\(error)")
        }
    }
    return tally
}

// Warm-up: one task fills caches and the store, then one train() that must be applied, so the
// steady state already holds an adapter (adapted vectors beside the frozen ones: 94 → ~160 MB
// resident at 10k tools) and a train() applied during the run is not mistaken for a leak. The
// workers' feedback names the right tool, which frozen embeddings already rank first, so
// training on it alone may not beat them; 100 requests routed to a tool they do not name, each
// asked twice, give it something to learn that the held-out feedback can confirm.
let warmUp = clock.now + .seconds(min(5, max(1, seconds / 10)))
_ = await worker(-1, until: warmUp)
for k in 0..<100 {
    for variant in ["first", "second"] {
        try await gantry.recordFeedback(query: "query for tool_\(k) asked the \(variant) way", selectedTool: "tool_\(k)",
                                        correctTool: "tool_\((k * 37 + 5_000) % toolCount)")
    }
}
let warmUpTraining = try await gantry.train()
guard warmUpTraining.applied else {
    print("warm-up train() was not applied (\(warmUpTraining.reason ?? "")): the memory bound needs an adapter in the steady state")
    exit(1)
}
print("warm-up train(): applied")
let (heapStart, rssStart) = (heapMegabytes(), residentMegabytes())
let runStart = clock.now
let deadline = runStart + .seconds(seconds)
var rssSamples = [rssStart]
let total = await withTaskGroup(of: Tally.self) { group in
    for id in 0..<taskCount { group.addTask { await worker(id, until: deadline) } }
    group.addTask {  // train() on a schedule, and memory samples once a second
        var tally = Tally()
        var nextTraining = clock.now + .seconds(trainEvery)
        while clock.now < deadline {
            try? await Task.sleep(for: .seconds(1))
            tally.latencies["rss", default: []].append(residentMegabytes())
            tally.latencies["heap", default: []].append(heapMegabytes())
            if clock.now >= nextTraining, clock.now < deadline {
                let start = clock.now
                do { _ = try await gantry.train() } catch { tally.errors.append("train: \(error)") }
                tally.latencies["train", default: []].append((clock.now - start).milliseconds)
                nextTraining = clock.now + .seconds(trainEvery)
            }
        }
        return tally
    }
    var total = Tally()
    for await tally in group {
        for (kind, values) in tally.latencies { total.latencies[kind, default: []] += values }
        total.errors += tally.errors
        total.feedback += tally.feedback
    }
    return total
}
let elapsed = (clock.now - runStart).milliseconds / 1000
let (heapEnd, rssEnd) = (heapMegabytes(), residentMegabytes())
rssSamples += total.latencies["rss"] ?? []
let storeBytes = ["", "-wal", "-shm"].reduce(0) { sum, suffix in
    sum + ((try? FileManager.default.attributesOfItem(atPath: storePath + suffix)[.size] as? Int) ?? 0)
}
let calls = total.latencies.filter { !["rss", "heap", "train"].contains($0.key) }.values.reduce(0) { $0 + $1.count }
// Bound: the feedback memory keeps every correction's vector (by design, 1.5 KB at d = 384, plus
// its index entry), and the store's page cache grows with the log, so memory in use may grow with
// recorded events; anything beyond 32 MB + 8 KB per feedback event is a leak.
let bound = 32 + Double(total.feedback) * 8 / 1024
let growth = heapEnd - heapStart
print(String(format: "%d calls in %.1f s: %.0f calls/s, %d errors", calls, elapsed, Double(calls) / elapsed, total.errors.count))
var report = [String: Any]()
report["seconds"] = elapsed
report["tasks"] = taskCount
report["tools"] = toolCount
report["calls"] = calls
report["callsPerSecond"] = Double(calls) / elapsed
report["errors"] = total.errors.count
report["rssStartMB"] = rssStart
report["rssEndMB"] = rssEnd
report["rssMaxMB"] = rssSamples.max() ?? rssEnd
report["heapStartMB"] = heapStart
report["heapEndMB"] = heapEnd
report["heapGrowthBoundMB"] = bound
report["rssSamplesMB"] = rssSamples
report["heapSamplesMB"] = [heapStart] + (total.latencies["heap"] ?? []) + [heapEnd]
report["feedbackEvents"] = total.feedback
report["storeBytes"] = storeBytes
for kind in ["retrieveTools", "recordExecution", "recordFeedback", "register", "breakerState", "train"] {
    guard let values = total.latencies[kind], !values.isEmpty else { continue }
    let (p50, p99) = (percentile(values, 0.5), percentile(values, 0.99))
    print(String(format: "  %-16@ %7d calls  p50 %8.3f ms  p99 %8.3f ms", kind, values.count, p50, p99))
    report[kind] = ["calls": values.count, "p50ms": p50, "p99ms": p99]
}
print(String(format: "memory in use %.0f MB after warm-up, %.0f MB at the end (growth %.1f MB, bound %.1f MB for %d feedback events); resident %.0f → %.0f MB (max %.0f); store %.1f MB",
             heapStart, heapEnd, growth, bound, total.feedback, rssStart, rssEnd, rssSamples.max() ?? rssEnd, Double(storeBytes) / 1e6))
for error in total.errors.prefix(5) { print("  error: \(error)") }
let arguments = CommandLine.arguments
if let i = arguments.firstIndex(of: "--json"), i + 1 < arguments.count {
    try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: arguments[i + 1]))
}
exit(total.errors.isEmpty && growth <= bound ? 0 : 1)
