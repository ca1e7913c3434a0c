// Crash safety: kills (SIGKILL) a child process at random moments while it writes, then checks
// what a crash may leave. Six scenarios, each `--kills` times:
//
//   adapter   AdapterFile.save of numbered versions (400 KB each)
//   index     HNSWIndex.save of numbered versions (2,000 × 64)
//   feedback  AgentGantry.recordFeedback / recordExecution in a loop
//   train     AgentGantry.recordFeedback + train() (adapter swap) in a loop
//   groupcommit  16 tasks calling recordFeedback / recordExecution at once (commits shared by many calls)
//   import    AgentGantry.importEvents of numbered logs (2,500 events: two transactions) in a loop
//
// The child prints "ack N" after each call returns. After the kill the parent requires: the
// file holds version = last acknowledged or the one in flight (never a mix: checksums and the
// content of that version are verified); every acknowledged event is in the store; the store
// reopens with its adapter and answers a query; no more than one temporary file is left over;
// every import is in the store whole or not at all once it is reopened.
//
//   CrashHarness [--kills 30] [--seed 1] [--scenarios adapter,index,…] [--json F]   (CrashHarness child … is the child)
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

/// Import `k`'s log: `importEvents` executions, all of session `m<k>`, so the parent can count
/// how many of each import the store holds.
let importEvents = 2_500
func importLog(_ k: Int) -> String {
    (0..<importEvents).map { j in
        #"{"at":1700000000,"kind":"execution","outcome":"success","session":"m\#(k)","tool":"tool_\#(j % toolCount)","user":"j\#(j)"}"#
    }.joined(separator: "\n")
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
    case "groupcommit":
        let gantry = try await openGantry(folder + "/gantry.sqlite")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for k in stride(from: start + task, to: Int.max, by: 16) {
                        try await recordEvent(gantry, k)
                        say("ack \(k)")
                    }
                }
            }
            try await group.waitForAll()
        }
    case "import":
        let gantry = try await openGantry(folder + "/gantry.sqlite")
        for k in start... {
            say("begin \(k)")
            _ = try await gantry.importEvents(importLog(k))
            say("ack \(k)")
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
    /// Writes the child had begun (imports say so before they start).
    var begun: [Int]
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
                 trainings: lines.count { $0 == "trained" },
                 begun: lines.compactMap { $0.hasPrefix("begin ") ? Int($0.dropFirst(6)) : nil })
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
    if ["feedback", "groupcommit", "train", "import"].contains(scenario) {
        let gantry = try await openGantry(store)
        try await gantry.register(tools)
        if scenario != "import" {
            for k in 0..<AgentGantry.minimumTrainingRequests(TrainingConfiguration()) { try await recordEvent(gantry, 1_000_000 + k) }
        }
    }
    for round in 0..<kills {
        // Short delays hit the first writes, long ones later ones; train() and imports take longest.
        let window = scenario == "train" || scenario == "import" ? 0.4 : 0.05
        let delay = Double(rng.next() % 1_000) / 1_000 * window
        let roundStart = next
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
        case "import":
            if outcome.begun.contains(lastAcknowledged + 1) { result.killedMidWrite += 1 }
            do {
                let gantry = try await openGantry(store)  // removes an import its process left unfinished
                var held = [Int: Int]()
                for line in try await gantry.exportEvents().split(separator: "\n") {
                    guard let range = line.range(of: #""session":"m"#), let k = Int(line[range.upperBound...].prefix { $0.isNumber }) else { continue }
                    held[k, default: 0] += 1
                }
                for k in stride(from: roundStart, through: lastAcknowledged, by: 1) where held[k] != importEvents {
                    fail("acknowledged import \(k) holds \(held[k] ?? 0) of its \(importEvents) events")
                }
                if let partial = held.first(where: { $0.value != importEvents }) {
                    fail("import \(partial.key) holds \(partial.value) of its \(importEvents) events after the reopen")
                }
                if let beyond = held.keys.first(where: { $0 > lastAcknowledged + 1 }) { fail("import \(beyond) was never begun, yet is stored") }
                let landed = held[lastAcknowledged + 1] == importEvents
                if landed { result.inFlightLanded += 1 }
                next = lastAcknowledged + (landed ? 2 : 1)
                // A new store for the next round: each open folds the whole log, and a store of a
                // hundred imports would spend the run opening (what is checked is per import).
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
                try await openGantry(store).register(tools)
            } catch {
                fail("the store does not reopen after the kill: \(error)")
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
                // Calls in flight at the kill that made it to disk (one at most, but for groupcommit).
                result.inFlightLanded += stored.count { $0 >= roundStart && $0 < 1_000_000 && !acknowledgedEvents.contains($0) }
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
    let scenarios = option("scenarios").map { $0.split(separator: ",").map(String.init) } ?? ["adapter", "index", "feedback", "groupcommit", "train", "import"]
    for scenario in scenarios {
        let start = clock.now
        let result = try await runScenario(scenario, kills: kills, rng: &rng)
        results.append(result)
        let extra = scenario == "train" ? ", \(result.trainings) train() swaps completed" : ""
        print("  \(scenario.padding(toLength: 11, withPad: " ", startingAt: 0)) \(result.kills) kills, \(result.acknowledged) writes acknowledged, "
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
