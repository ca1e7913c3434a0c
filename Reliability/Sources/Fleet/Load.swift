// The load scenario (`Fleet --load SECONDS`): 4 processes × 16 tasks writing to one store for
// SECONDS while the parent measures convergence, SIGKILLs one writer mid-commit (and starts it
// again) and a trainer as it publishes, and at the end counts lost and doubled events and stale
// state. Children: `loader` (writes, watches for markers), `trainer`, `checker` (reads the store
// fresh).
@_spi(StoreImplementation) import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryMath
import Synchronization

// MARK: children

/// A store handle of `store` (a SQLite path or a postgres:// URL), for reading it as it is.
func openStore(_ store: String) async throws -> any GantryStore {
    isPostgres(store) ? try await PostgresStore(url: store, unavailableTimeout: .seconds(60)) : try SQLiteStore(path: store)
}

/// A loader: 16 tasks, each recording executions (and every fiftieth call a correction) with a
/// session of its own, `p<index>.<generation>.<task>.<k>`, printing `ack <session>` when the call
/// returned; told `watch <name>`, prints `seen <name> <time>` when its catalogue shows that tool;
/// told `marker <name>`, registers it and prints `marked <name> <time the call began>`; `stop` ends the writes
/// (`stopped`), `digest` follows the store and prints what it serves, `quit` ends.
func runLoader(store: String, index: Int, generation: Int, tools: Int) async throws {
    let gantry = try await openGantry(store)
    say("ready", "\(await gantry.tools.count)")
    let stopped = Flag()
    let writers = (0..<16).map { task in
        Task { () -> Void in
            var rng = SplitMix64(seed: UInt64(index * 1_000 + generation * 100 + task))
            var k = 0
            while !stopped.isSet {
                k += 1
                let session = "p\(index).\(generation).\(task).\(k)", tool = World.name(Int(rng.next() % UInt64(tools)))
                do {
                    if k % 50 == 0 {
                        let query = World.words(6, seed: rng.next()).joined(separator: " ")
                        try await gantry.recordFeedback(query: query, selectedTool: tool, correctTool: World.name(Int(rng.next() % UInt64(tools))),
                                                        context: RoutingContext(user: "load-\(index)", session: session))
                    } else {
                        try await gantry.recordExecution(tool: tool, outcome: rng.next() % 50 == 0 ? .failure : .success,
                                                         context: RoutingContext(session: session))
                    }
                    say("ack", session)
                } catch {
                    say("failed", session, "\(error)".replacingOccurrences(of: "\n", with: " "))
                }
            }
        }
    }
    let watched = Watched()
    let watcher = Task {
        while !Task.isCancelled {
            let names = watched.names
            if !names.isEmpty {
                let present = Set(await gantry.tools.lazy.map(\.name).filter(names.contains))
                for name in present { say("seen", name, "\(monotonicNanoseconds())") }
                watched.remove(present)
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    defer { watcher.cancel() }
    let inbox = Inbox()
    while true {
        let command = try await inbox.next()
        switch command[0] {
        case "watch": watched.add(command[1])
        case "marker":
            let begun = monotonicNanoseconds()
            try await gantry.register([Tool(name: command[1], description: World.markerQuery(Int(command[2])!))])
            say("marked", command[1], "\(begun)")
        case "stop":
            stopped.set()
            for writer in writers { await writer.value }
            say("stopped")
        case "digest":
            try await gantry.followStore()
            say("digest", await servedState(gantry))
        case "quit": return
        default: say("error", "unknown command \(command[0])")
        }
    }
}

/// A flag set once, read by many tasks.
final class Flag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The tool names a loader watches for.
final class Watched: Sendable {
    private let state = Mutex(Set<String>())
    var names: Set<String> { state.withLock { $0 } }
    func add(_ name: String) { state.withLock { _ = $0.insert(name) } }
    func remove(_ names: Set<String>) { state.withLock { $0.subtract(names) } }
}

/// What a gantry serves, as one line: its tools (name and description) and adapter version.
func servedState(_ gantry: AgentGantry) async -> String {
    let tools = await gantry.tools.map { "\($0.name)=\($0.description)" }.sorted().joined(separator: ";")
    let version = await gantry.servedAdapterVersion.map(String.init) ?? "none"
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: the same in every process
    for byte in tools.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return "adapter \(version) tools \(String(hash, radix: 16)) (\(await gantry.tools.count))"
}

/// A trainer: records learnable feedback, then trains whenever told `train`, printing `training`
/// as it begins and `trained <version|refused> <ms>` as it ends.
func runTrainer(store: String, tools: Int) async throws {
    let gantry = try await openGantry(store)
    try await withThrowingTaskGroup(of: Void.self) { group in  // side by side: one group commit, not 200
        for (query, selected, correct) in World.trainingFeedback(round: 0, tools: tools) {
            group.addTask {
                try await gantry.recordFeedback(query: query, selectedTool: selected, correctTool: correct, context: RoutingContext(user: "trainer"))
            }
        }
        try await group.waitForAll()
    }
    say("ready")
    let inbox = Inbox()
    while true {
        let command = try await inbox.next()
        switch command[0] {
        case "train":
            let start = monotonicNanoseconds()
            say("training")
            let summary = try await gantry.train()
            say("trained", summary.adapterVersion.map(String.init) ?? "refused", "\(milliseconds(since: start))")
        case "quit": return
        default: say("error", "unknown command \(command[0])")
        }
    }
}

/// The checker: opens the store as a new process would and prints what it holds: `served` (as
/// `servedState`), the adapter versions' highest event ids, newest first (`adapters`), and one
/// `event <session>` line per event with a session.
func runChecker(store: String) async throws {
    let gantry = try await openGantry(store, followInterval: nil)
    say("served", await servedState(gantry))
    let versions = try await gantry.adapterVersions()
    say("adapters", versions.map { "\($0.version):\($0.highestEventID)" }.joined(separator: ","))
    let (events, damaged) = try await openStore(store).events()
    for event in events {
        switch event {
        case .execution(let execution): if let session = execution.session { say("event", session) }
        case .feedback(let feedback): if let session = feedback.session { say("event", session) }
        }
    }
    say("checked", "\(events.count)", "\(damaged.count)")
}

// MARK: parent

/// What one load run measured, per store (RELIABILITY §8, "Load").
struct LoadResult: Codable {
    var store: String
    var processes: Int
    var tasksPerProcess: Int
    var seconds: Double
    var acknowledgedEvents: Int
    var eventsPerSecond: Double
    var failedCalls: Int
    var markers: Int
    var convergenceP50Ms: Double
    var convergenceP99Ms: Double
    var convergenceMaxMs: Double
    var markersNeverSeen: Int
    var writerKills: Int
    var trainerKills: Int
    var trainerKilledAfterMs: Double
    /// The last train() that ran to its end, under the load.
    var trainMs: Double
    var lostEvents: Int
    var doubledEvents: Int
    var staleProcesses: Int
    var adapterVersionsOutOfOrder: Int
}

/// Runs the load scenario on `store` with `tools` tools for `seconds`.
func measureLoad(store: String, kind: String, tools: Int, seconds: Double, failures: inout [String]) throws -> LoadResult {
    let processes = 4
    var rng = SplitMix64(seed: 7)
    // The catalogue first, by a writer that then quits.
    let setup = try Child("writer", [store, "\(tools)"])
    guard try setup.expect("ready", within: 120) != nil else { throw FleetError("the set-up writer did not open the store") }
    setup.stop()
    // The trainer records its feedback before the load begins; it trains during it.
    var trainer: Child? = try Child("trainer", [store, "\(tools)"])
    guard try trainer!.expect("ready", within: 120) != nil else { throw FleetError("the trainer did not open the store") }
    var loaders = try (0..<processes).map { try Child("loader", [store, "\($0)", "0", "\(tools)"]) }
    for loader in loaders { guard try loader.expect("ready", within: 120) != nil else { throw FleetError("a loader did not open the store") } }
    var acknowledged = Set<String>(), failed = 0
    func drain(_ child: Child) {
        for line in child.takeAll("ack") { acknowledged.insert(line[1]) }
        failed += child.takeAll("failed").count
    }
    let start = monotonicNanoseconds()
    var latencies = [Double](), neverSeen = 0, marker = 0, writerKills = 0, trainerKills = 0, trainerKilledAfter = 0.0
    var killedWriter = false, trainStarted = false, trainMeasured = 0.0, trainAttempts = 0, trainSent: Int64?
    while milliseconds(since: start) < seconds * 1_000 {
        let elapsed = milliseconds(since: start) / 1_000
        // A writer killed mid-commit (16 calls in flight), and started again as a new generation.
        if !killedWriter, elapsed > seconds * 0.3 {
            drain(loaders[1])
            loaders[1].killNow()
            drain(loaders[1])
            writerKills += 1
            killedWriter = true
            loaders[1] = try Child("loader", [store, "1", "1", "\(tools)"])
            guard try loaders[1].expect("ready", within: 120) != nil else { throw FleetError("the restarted loader did not open the store") }
        }
        // A trainer: one whole train() to learn how long it takes, then one SIGKILLed at a random
        // point of its second half (it publishes at the end); one that finishes first is measured
        // again and the next is killed earlier, while time remains.
        if !trainStarted, elapsed > seconds * 0.15 {
            trainer?.send("train")
            (trainStarted, trainSent) = (true, monotonicNanoseconds())
        }
        if let child = trainer, let done = try child.expect("trained", within: 0) {
            trainMeasured = Double(done[2])!
            let killAfter = Double.random(in: 0.5...0.95, using: &rng) * trainMeasured * pow(0.7, Double(trainAttempts))
            trainAttempts += 1
            child.send("train")
            trainSent = monotonicNanoseconds()
            if elapsed + killAfter / 1_000 < seconds {  // else it is killed when the load ends
                _ = try child.expect("training", within: 60)
                let began = monotonicNanoseconds()
                while milliseconds(since: began) < killAfter {
                    for loader in loaders { drain(loader) }
                    usleep(1_000)
                }
                if let finished = try child.expect("trained", within: 0) {
                    trainMeasured = Double(finished[2])!  // it finished first: the next one is killed earlier
                    child.send("train")
                    trainSent = monotonicNanoseconds()
                } else {
                    child.killNow()
                    trainerKills += 1
                    trainerKilledAfter = milliseconds(since: began)
                    trainer = nil
                }
            }
        }
        // A marker: loader 0 registers a tool, the others report when their catalogue shows it.
        marker += 1
        let name = "marker_\(marker)"
        for loader in loaders.dropFirst() { loader.send("watch", name) }
        loaders[0].send("marker", name, "\(marker)")
        var marked: Int64?
        var seen = [Int64]()
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while (marked == nil || seen.count < processes - 1), monotonicNanoseconds() < deadline {
            for loader in loaders { drain(loader) }
            if marked == nil, let line = try loaders[0].expect("marked", name, within: 0) { marked = Int64(line[2]) }
            for loader in loaders.dropFirst() {
                if let line = try loader.expect("seen", name, within: 0) { seen.append(Int64(line[2])!) }
            }
            usleep(1_000)
        }
        if let marked {
            latencies += seen.map { Double($0 - marked) / 1e6 }  // from the moment register() was called
        }
        neverSeen += processes - 1 - seen.count
        usleep(UInt32(Double.random(in: 200_000...400_000, using: &rng)))
    }
    // Writes end; every process follows the store and says what it serves; a fresh open checks.
    for loader in loaders { loader.send("stop") }
    for loader in loaders {
        guard try loader.expect("stopped", within: 120) != nil else { throw FleetError("a loader did not stop") }
        drain(loader)
    }
    let wrote = milliseconds(since: start) / 1_000
    if let child = trainer {
        let ended = try child.expect("trained", within: 0)
        if let sent = trainSent, ended == nil {
            child.killNow()  // still in a train() that outlasted the load (a slow host): killed there
            trainerKills += 1
            trainerKilledAfter = milliseconds(since: sent)
        } else if trainerKills == 0, let ended {
            // Its train() outlasted the load and ended while the loaders stopped (a loaded host):
            // measured, and the next one is killed partway, with the writes ended.
            trainMeasured = Double(ended[2])!
            for attempt in 0..<5 where trainerKills == 0 {
                child.send("train")
                guard try child.expect("training", within: 60) != nil else { break }
                let began = monotonicNanoseconds()
                usleep(UInt32(Double.random(in: 0.5...0.95, using: &rng) * trainMeasured * pow(0.7, Double(attempt)) * 1_000))
                if let finished = try child.expect("trained", within: 0) {
                    trainMeasured = Double(finished[2])!
                } else {
                    child.killNow()
                    trainerKills += 1
                    trainerKilledAfter = milliseconds(since: began)
                }
            }
            if trainerKills == 0 { child.stop() }
        } else {
            child.stop()
        }
    }
    var digests = [String]()
    for loader in loaders {
        loader.send("digest")
        digests.append(try loader.expect("digest", within: 120)?[1] ?? "none")
        loader.stop()
    }
    let checker = try Child("checker", [store])
    guard let served = try checker.expect("served", within: 120)?[1], let adapters = try checker.expect("adapters", within: 60) else {
        throw FleetError("the checker did not open the store")
    }
    guard try checker.expect("checked", within: 300) != nil else { throw FleetError("the checker did not read the events") }
    var stored = [String: Int]()
    for line in checker.takeAll("event") { stored[line[1], default: 0] += 1 }
    checker.stop()
    let highest = adapters.count > 1 ? adapters[1].split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { Int64($0) } } : []
    let outOfOrder = zip(highest, highest.dropFirst()).filter { $0 < $1 }.count  // newest first: must not grow
    let lost = acknowledged.filter { stored[$0] == nil }.count, doubled = stored.values.filter { $0 > 1 }.count
    let stale = digests.filter { $0 != served }.count
    if lost > 0 { failures.append("\(kind): \(lost) acknowledged events lost") }
    if doubled > 0 { failures.append("\(kind): \(doubled) events stored twice") }
    if stale > 0 { failures.append("\(kind): \(stale) processes serve other than a fresh open (\(digests) against \(served))") }
    if outOfOrder > 0 { failures.append("\(kind): adapter versions out of order (\(adapters))") }
    if trainerKills == 0 { failures.append("\(kind): the trainer was never killed during train()") }
    if neverSeen > 0 { failures.append("\(kind): \(neverSeen) markers never seen within 30 s") }
    return LoadResult(store: kind, processes: processes, tasksPerProcess: 16, seconds: wrote, acknowledgedEvents: acknowledged.count,
                      eventsPerSecond: Double(acknowledged.count) / wrote, failedCalls: failed, markers: marker,
                      convergenceP50Ms: percentile(latencies, 0.5), convergenceP99Ms: percentile(latencies, 0.99),
                      convergenceMaxMs: latencies.max() ?? 0, markersNeverSeen: neverSeen, writerKills: writerKills, trainerKills: trainerKills,
                      trainerKilledAfterMs: trainerKilledAfter, trainMs: trainMeasured, lostEvents: lost, doubledEvents: doubled, staleProcesses: stale,
                      adapterVersionsOutOfOrder: outOfOrder)
}
