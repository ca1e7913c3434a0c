// Crash safety: kills (SIGKILL) a child process at random moments while it writes, then checks
// what a crash may leave. Four scenarios, each `--kills` times:
//
//   adapter   AdapterFile.save of numbered versions (400 KB each)
//   index     HNSWIndex.save of numbered versions (2,000 × 64)
//   feedback  AgentGantry.recordFeedback / recordExecution in a loop
//   train     AgentGantry.recordFeedback + train() (adapter swap) in a loop
//
// The child prints "ack N" after each call returns. After the kill the parent requires: the
// file holds version = last acknowledged or the one in flight (never a mix: checksums and the
// content of that version are verified); every acknowledged event is in the store; the store
// reopens with its adapter and answers a query; no more than one temporary file is left over.
//
//   CrashHarness [--kills 30] [--seed 1] [--json F]        (CrashHarness child … is the child)
import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath
import Synchronization

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))  // unbuffered: an ack is out once printed
}

// MARK: what each version holds

let adapterDimension = 384, adapterRank = 32, adapterOffsets = 200

/// Two precomputed contents (even and odd versions) so the child spends its time writing; the
/// version number itself goes into the header (and, for adapters, one weight), so a header of
/// one version over the payload of another is detected.
let adapterContents: [LowRankAdapter] = (0..<2).map { parity in
    var rng = SplitMix64(seed: UInt64(parity))
    var adapter = try! LowRankAdapter.identity(dimension: adapterDimension, rank: adapterRank, seed: UInt64(parity) + 1)
    adapter.up = Matrix.randomNormal(rows: adapterRank, cols: adapterDimension, using: &rng)
    for t in 0..<adapterOffsets { adapter.toolOffsets["tool_\(t)"] = (0..<adapterDimension).map { _ in rng.nextGaussian() } }
    return adapter
}

func adapterVersion(_ v: Int) -> LowRankAdapter {
    var adapter = adapterContents[abs(v) % 2]
    adapter.up[0, 0] = Float(v)
    return adapter
}

let indexData = (0..<2).map { SyntheticEmbeddings.clustered(count: 2_000, dimension: 64, seed: UInt64($0) + 10) }
let indexContents: [HNSWIndex] = indexData.map { data in
    var index = try! HNSWIndex(dimension: 64, parameters: .init(m: 8, efConstruction: 32))
    try! index.add(contentsOf: data, ids: (0..<2_000).map { .number(Int64($0)) })
    return index
}

/// Version v: the contents of its parity with vector `v % 2000` removed (a tombstone).
func indexVersion(_ v: Int) -> HNSWIndex {
    var index = indexContents[abs(v) % 2]
    try! index.remove(.number(Int64(v % 2_000)))
    return index
}

// MARK: the AgentGantry scenarios' world: 20 tools, 20,000 query texts, 32-d vectors

let toolCount = 20, queryTexts = 20_000, worldDimension = 32
let tools = (0..<toolCount).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0)") }

func worldEmbedder() throws -> PrecomputedEmbedder {
    let texts = tools.map(\.embeddingText) + (0..<queryTexts).map { "query \($0)" }
    let vectors = SyntheticEmbeddings.clustered(count: texts.count, dimension: worldDimension, clusters: toolCount, seed: 5)
    return try PrecomputedEmbedder(texts: texts, vectors: vectors, modelIdentity: "crash-harness")
}

func openGantry(_ store: String) async throws -> AgentGantry {
    try await AgentGantry(configuration: GantryConfiguration(storePath: store), embedder: worldEmbedder())
}

func recordEvent(_ gantry: AgentGantry, _ k: Int) async throws {
    let context = RoutingContext(user: "u\(k % 7)", team: k % 2 == 0 ? "A" : "B", session: "e\(k)")
    if k % 3 == 2 {
        try await gantry.recordExecution(tool: "tool_\(k % toolCount)", outcome: k % 5 == 0 ? .failure : .success,
                                         latency: .milliseconds(k % 300), context: context)
    } else {
        try await gantry.recordFeedback(query: "query \(k % queryTexts)", selectedTool: "tool_\((k + 1) % toolCount)",
                                        correctTool: "tool_\(k % toolCount)", context: context)
    }
}

// MARK: child

func runChild(_ scenario: String, _ folder: String, _ start: Int) async throws {
    switch scenario {
    case "adapter":
        for v in start... {
            try AdapterFile.save(adapterVersion(v), modelIdentity: "crash-harness", trainingJSON: #"{"version":\#(v)}"#, to: folder + "/adapter.gadp")
            say("ack \(v)")
        }
    case "index":
        for v in start... {
            try indexVersion(v).save(to: folder + "/tools.gidx")
            say("ack \(v)")
        }
    case "feedback":
        let gantry = try await openGantry(folder + "/gantry.sqlite")
        for k in start... {
            try await recordEvent(gantry, k)
            say("ack \(k)")
        }
    case "train":
        let gantry = try await openGantry(folder + "/gantry.sqlite")
        for k in stride(from: start, to: Int.max, by: 5) {
            for e in k..<k + 5 {
                try await recordEvent(gantry, e)
                say("ack \(e)")
            }
            _ = try await gantry.train()
            say("trained")
        }
    default:
        fatalError("unknown scenario \(scenario)")
    }
}

// MARK: parent

final class Output: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var lines: [String] { data.withLock { String(decoding: $0, as: UTF8.self).split(separator: "\n").map(String.init) } }
}

struct Round {
    var acknowledged: [Int]
    var trainings: Int
}

/// Starts a child, waits for its first acknowledgement, lets it run `delay` more, kills it.
func killedRound(_ scenario: String, _ folder: String, start: Int, delay: Double) throws -> Round {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    process.arguments = ["child", scenario, folder, String(start)]
    let pipe = Pipe(), output = Output()
    process.standardOutput = pipe
    pipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while !output.lines.contains(where: { $0.hasPrefix("ack") }) {
        guard process.isRunning, Date() < deadline else { throw HarnessError("the \(scenario) child never acknowledged a write") }
        usleep(200)
    }
    usleep(useconds_t(delay * 1e6))
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    pipe.fileHandleForReading.readabilityHandler = nil
    output.append(pipe.fileHandleForReading.readDataToEndOfFile())
    let lines = output.lines
    return Round(acknowledged: lines.compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil },
                 trainings: lines.count { $0 == "trained" })
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func temporaries(_ folder: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).count { $0.contains(".tmp-") }
}

struct ScenarioResult: Codable {
    var scenario: String
    var kills: Int
    var acknowledged: Int
    var inFlightLanded: Int
    var killedMidWrite: Int
    var eventsLost: Int
    var trainings: Int
    var maxTemporariesLeft: Int
    var failures: [String]
}

func runScenario(_ scenario: String, kills: Int, rng: inout SplitMix64) async throws -> ScenarioResult {
    let folder = NSTemporaryDirectory() + "gantry-crash-\(scenario)-\(getpid())"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var result = ScenarioResult(scenario: scenario, kills: 0, acknowledged: 0, inFlightLanded: 0, killedMidWrite: 0, eventsLost: 0, trainings: 0,
                                maxTemporariesLeft: 0, failures: [])
    var next = 1
    var acknowledgedEvents = Set<Int>()
    let store = folder + "/gantry.sqlite"
    if scenario == "feedback" || scenario == "train" {
        let gantry = try await openGantry(store)
        try await gantry.register(tools)
        for k in 0..<AgentGantry.minimumTrainingRequests(TrainingConfiguration()) { try await recordEvent(gantry, 1_000_000 + k) }
    }
    for round in 0..<kills {
        // Short delays hit the first writes, long ones later ones; train() takes longest.
        let window = scenario == "train" ? 0.4 : 0.05
        let delay = Double(rng.next() % 1_000) / 1_000 * window
        let outcome = try killedRound(scenario, folder, start: next, delay: delay)
        result.kills += 1
        result.acknowledged += outcome.acknowledged.count
        result.trainings += outcome.trainings
        let lastAcknowledged = outcome.acknowledged.max() ?? next - 1
        let left = temporaries(folder)
        result.maxTemporariesLeft = max(result.maxTemporariesLeft, left)
        if left > 0 { result.killedMidWrite += 1 }
        func fail(_ message: String) { result.failures.append("round \(round): \(message)") }
        switch scenario {
        case "adapter", "index":
            var found: Int?
            do {
                if scenario == "adapter" {
                    let (adapter, header) = try AdapterFile.load(from: folder + "/adapter.gadp", expectedModel: "crash-harness")
                    let version = Int(header.trainingJSON.filter(\.isNumber)) ?? -1
                    if adapter != adapterVersion(version) { fail("adapter file holds version \(version)'s header with other content") }
                    found = version
                } else {
                    let index = try HNSWIndex.load(from: folder + "/tools.gidx")
                    let missing = (0..<2_000).filter { !index.contains(.number(Int64($0))) }
                    // Which of the two possible versions is it? Its tombstone and its vectors must agree.
                    let version = [lastAcknowledged, lastAcknowledged + 1].first { missing == [$0 % 2_000] } ?? -1
                    let hit = try index.search(indexData[abs(version) % 2].row(version == 17 ? 18 : 17), k: 1).first
                    if version < 0 || index.count != 1_999 || (hit?.score ?? 0) < 0.999 {
                        fail("index file holds tombstones \(missing.prefix(3)) and vectors not of one version (last acknowledged \(lastAcknowledged))")
                    }
                    found = version
                }
            } catch {
                fail("the file does not load after the kill: \(error)")
            }
            if let found {
                if found == lastAcknowledged + 1 { result.inFlightLanded += 1 }
                else if found != lastAcknowledged { fail("file holds version \(found), last acknowledged \(lastAcknowledged)") }
                next = found + 1
            }
        default:
            acknowledgedEvents.formUnion(outcome.acknowledged)
            next = (outcome.acknowledged.max() ?? next - 1) + 1
            do {
                let gantry = try await openGantry(store)
                let stored = Set(try await gantry.exportEvents().split(separator: "\n").compactMap { line -> Int? in
                    guard let range = line.range(of: #""session":"e"#) else { return nil }
                    return Int(line[range.upperBound...].prefix { $0.isNumber })
                })
                let lost = acknowledgedEvents.subtracting(stored)
                result.eventsLost = lost.count
                if !lost.isEmpty { fail("\(lost.count) acknowledged events are missing, e.g. \(lost.sorted().prefix(5))") }
                if stored.contains(lastAcknowledged + 1) { result.inFlightLanded += 1 }
                next = max(next, (stored.filter { $0 < 1_000_000 }.max() ?? 0) + 1)
                if try await gantry.retrieveTools("query 7", limit: 3).isEmpty { fail("the reopened store answers nothing") }
            } catch {
                fail("the store does not reopen after the kill: \(error)")
            }
        }
        if !result.failures.isEmpty { break }
    }
    return result
}

// MARK: main

let arguments = CommandLine.arguments
if arguments.count >= 5, arguments[1] == "child" {
    try await runChild(arguments[2], arguments[3], Int(arguments[4])!)
    exit(0)
}
exit(try await runAll() ? 0 : 1)

func runAll() async throws -> Bool {
    let kills = Int(option("kills") ?? "30") ?? 30
    var rng = SplitMix64(seed: UInt64(option("seed") ?? "1") ?? 1)
    var results = [ScenarioResult]()
    let clock = ContinuousClock()
    for scenario in ["adapter", "index", "feedback", "train"] {
        let start = clock.now
        let result = try await runScenario(scenario, kills: kills, rng: &rng)
        results.append(result)
        let extra = scenario == "train" ? ", \(result.trainings) train() swaps completed" : ""
        print("  \(scenario.padding(toLength: 9, withPad: " ", startingAt: 0)) \(result.kills) kills, \(result.acknowledged) writes acknowledged, "
              + "\(result.killedMidWrite) killed mid-write, \(result.inFlightLanded) in-flight writes found complete, events lost \(result.eventsLost), temporaries left ≤ \(result.maxTemporariesLeft)\(extra)"
              + " (\(clock.now - start))")
        for failure in result.failures { print("    FAILED \(failure)") }
    }
    if let path = option("json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: path))
    }
    return results.allSatisfy { $0.failures.isEmpty }
}
