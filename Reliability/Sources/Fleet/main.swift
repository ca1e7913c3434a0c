// Fleet: processes sharing one store, each following its log (OperatingAStore.md, "Several
// processes on one store"). The parent spawns children of this binary on temporary stores and
// measures, with CLOCK_MONOTONIC timestamps the children print (one clock for every process):
//
//   write → ranking  a writer A records a marker — a correction that pins a tool first for a fresh
//                    query, failures that open a tool's breaker, or a tool's removal — and prints
//                    when the call returned; a follower B (followInterval 250 ms, then 50 ms) asks
//                    retrieveTools every 2 ms and prints when its ranking shows the marker.
//                    Markers one at a time, each after a random wait of up to one follow interval
//                    (so writes fall at every phase of B's follow timer).
//   adapter swap     A records learnable feedback and train()s; B prints when servedAdapterVersion
//                    changes (publish), and again after A's forget(user:) withdraws the version.
//                    B times the swap alone: followStore() of a second gantry that does not follow
//                    on its own (re-adapting the catalogue and building the index), and a fresh open.
//
// A hashing embedder stands in for MiniLM so the figures are about the store and the following.
// Reported, not asserted: the run fails only when a marker or a swap is never seen (30 s for a
// marker), a write fails, or train() is not applied.
//
//   load             4 processes × 16 tasks write to one store (Load.swift): events/s, convergence
//                    p50/p99, a writer and a trainer SIGKILLed, lost and doubled events, stale state.
//
//   Fleet [--tools 1000] [--markers 20] [--swaps 1000,10000] [--load SECONDS] [--postgres URL] [--seed 1] [--json F]
//   (--swaps lists catalogue sizes, each with its number of rounds if not 1: 1000:3,100000; none skips;
//    --markers 0 skips write → ranking; --load runs on a SQLite file, and on PostgreSQL with --postgres)
//   (Fleet child writer|follower|swapper|loader|trainer|checker … are the children)
import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryEmbed
import GantryMath
import Synchronization

// MARK: shared

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

/// One line of tab-separated fields on stdout, unbuffered: a timestamp is out once printed (and
/// the parent's progress shows in a CI log as it happens).
func say(_ fields: String...) {
    FileHandle.standardOutput.write(Data((fields.joined(separator: "\t") + "\n").utf8))
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process of the machine, so a timestamp
/// printed by A and one printed by B subtract.
func monotonicNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

func milliseconds(since start: Int64) -> Double {
    Double(monotonicNanoseconds() - start) / 1e6
}

struct FleetError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Any text → a unit vector of 384 dimensions (MiniLM's, so re-adapting and indexing cost what
/// they cost with it): the sum of its lowercased words' vectors, each a Gaussian draw seeded by
/// the word's FNV-1a hash (a random projection of the bag of words). Deterministic in every
/// process and free of a model; texts sharing words point alike, others are near orthogonal.
struct HashingEmbedder: Embedder {
    let dimension = 384
    let modelIdentity = "fleet-hashing-384"

    func embed(_ texts: [String]) throws -> Matrix {
        var values = [Float](repeating: 0, count: texts.count * dimension)
        for (row, text) in texts.enumerated() {
            let base = row * dimension
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }) {
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                var rng = SplitMix64(seed: hash)
                for c in base..<base + dimension { values[c] += rng.nextGaussian() }
            }
            var norm: Float = 0
            for c in base..<base + dimension { norm += values[c] * values[c] }
            if norm == 0 { values[base] = 1; continue }
            for c in base..<base + dimension { values[c] /= norm.squareRoot() }
        }
        return try Matrix(rows: texts.count, cols: dimension, values: values)
    }
}

/// The synthetic world: 4,096 made-up words, tools described by eight of them, queries of six.
enum World {
    static let words: [String] = {
        let onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl"]
        let vowels = ["a", "e", "i", "o", "u", "ai", "ou"]
        var rng = SplitMix64(seed: 42)
        var seen = Set<String>()
        while seen.count < 4_096 {
            let syllables = 2 + Int(rng.next() % 3)
            seen.insert((0..<syllables).map { _ in onsets[Int(rng.next() % 18)] + vowels[Int(rng.next() % 7)] }.joined())
        }
        return seen.sorted()
    }()

    static func words(_ count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in words[Int(rng.next() % UInt64(words.count))] }
    }

    static func name(_ k: Int) -> String { "tool_\(k)" }

    static func tool(_ k: Int) -> Tool {
        Tool(name: name(k), description: words(8, seed: 0x7001_0000 + UInt64(k)).joined(separator: " "))
    }

    /// A query no tool's text and no earlier marker resembles.
    static func markerQuery(_ marker: Int) -> String {
        "marker \(marker) " + words(6, seed: 0x3a7c_0000 + UInt64(marker)).joined(separator: " ")
    }

    /// Feedback `train()` can learn from and its gate confirm, whatever the catalogue's size: 100
    /// requests of round `round`, each made of two words of the correct tool's description and four
    /// of a decoy's (which the frozen embeddings rank first, cosine 0.42 against 0.21, and the agent
    /// picked), asked two ways (cosine 0.9, under training.nearDuplicateCosine: two requests sharing
    /// 9 of 10 words, so what is learned from one shows on the other in a held-out fold).
    static func trainingFeedback(round: Int, tools: Int) -> [(query: String, selected: String, correct: String)] {
        (0..<100).flatMap { k -> [(query: String, selected: String, correct: String)] in
            let correct = (k * 7_919 + round * 104_729) % tools, decoy = (correct + 1 + (k * 31 + round) % (tools - 1)) % tools
            let correctWords = tool(correct).description.split(separator: " "), decoyWords = tool(decoy).description.split(separator: " ")
            let shared = (correctWords.prefix(2) + decoyWords.prefix(4)).joined(separator: " ")
            return ["first", "second"].map { way in (shared + " asked the \(way) way", name(decoy), name(correct)) }
        }
    }
}

/// Whether `store` names a PostgreSQL database rather than a SQLite file.
func isPostgres(_ store: String) -> Bool {
    store.hasPrefix("postgres://") || store.hasPrefix("postgresql://")
}

func openGantry(_ store: String, followInterval: Duration? = .milliseconds(250)) async throws -> AgentGantry {
    var configuration = GantryConfiguration(storePath: isPostgres(store) ? nil : store)
    configuration.followInterval = followInterval
    if isPostgres(store) {
        return try await AgentGantry(configuration: configuration, embedder: HashingEmbedder(), store: try await PostgresStore(url: store))
    }
    return try await AgentGantry(configuration: configuration, embedder: HashingEmbedder())
}

// MARK: children

/// The commands a child reads from stdin (tab-separated fields), read on a thread of their own.
final class Inbox: Sendable {
    private let lines = Mutex([[String]]())

    init() {
        Thread.detachNewThread { [self] in
            while let line = readLine() { lines.withLock { $0.append(line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)) } }
            lines.withLock { $0.append(["quit"]) }  // the parent is gone
        }
    }

    func take() -> [[String]] { lines.withLock { lines in defer { lines = [] }; return lines } }

    func next() async throws -> [String] {
        while true {
            if let first = lines.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return first }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// A: opens the store (registering `tools` tools if it holds none), then makes the writes it is told
/// to, printing `ack` with the time each returned.
func runWriter(store: String, tools: Int) async throws {
    let start = monotonicNanoseconds()
    let gantry = try await openGantry(store)
    if await gantry.tools.isEmpty { try await gantry.register((0..<tools).map(World.tool)) }
    say("ready", "\(milliseconds(since: start))", "\(await gantry.tools.count)")
    let inbox = Inbox(), failures = await gantry.configuration.breaker.consecutiveFailures
    while true {
        let command = try await inbox.next()
        do {
            switch command[0] {
            case "correction":
                try await gantry.recordFeedback(query: command[3], selectedTool: nil, correctTool: command[2],
                                                context: RoutingContext(user: "fleet-writer"))
                say("ack", command[1], "\(monotonicNanoseconds())")
            case "breaker":
                for _ in 0..<failures { try await gantry.recordExecution(tool: command[2], outcome: .failure) }
                say("ack", command[1], "\(monotonicNanoseconds())")
            case "removal":
                try await gantry.remove(command[2])
                say("ack", command[1], "\(monotonicNanoseconds())")
            case "feedback":
                let round = Int(command[1])!
                for (query, selected, correct) in World.trainingFeedback(round: round, tools: tools) {
                    try await gantry.recordFeedback(query: query, selectedTool: selected, correctTool: correct,
                                                    context: RoutingContext(user: "trainer-\(round)"))
                }
                say("fed", command[1])
            case "train":
                let start = monotonicNanoseconds()
                let summary = try await gantry.train()
                let end = monotonicNanoseconds()
                say("trained", "\(end)", summary.applied ? "applied" : "refused", summary.adapterVersion.map(String.init) ?? "none",
                    "\(Double(end - start) / 1e6)", (summary.reason ?? "").replacingOccurrences(of: "\t", with: " "))
            case "forget":  // its commit comes first, then this process's own re-adapting: both times printed
                let start = monotonicNanoseconds()
                let removed = try await gantry.forget(user: command[1])
                say("forgot", "\(start)", "\(monotonicNanoseconds())", "\(removed)", await gantry.servedAdapterVersion.map(String.init) ?? "none")
            case "quit":
                return
            default:
                say("error", "unknown command \(command[0])")
            }
        } catch {
            say("error", "\(command[0]) \(command.dropFirst().first ?? ""): \(error)".replacingOccurrences(of: "\n", with: " "))
        }
    }
}

/// B for write → ranking: follows the store every `followMilliseconds` on its own; told to watch a
/// marker, checks it is not visible yet (`watching` or `bad`), then asks `retrieveTools` every 2 ms
/// and prints `seen` with the time the ranking first shows it.
func runFollower(store: String, followMilliseconds: Int) async throws {
    let gantry = try await openGantry(store, followInterval: .milliseconds(followMilliseconds))
    say("ready", "\(await gantry.tools.count)")
    let inbox = Inbox()
    var watch: [String]?  // marker, kind, tool, query
    /// Whether the ranking for `query` shows the marker of `kind` on `tool`.
    func shows(_ kind: String, _ tool: String, _ query: String) async throws -> Bool {
        let ranking = try await gantry.retrieveTools(query, limit: 5).map(\.tool.name)
        return kind == "correction" ? ranking.first == tool : !ranking.contains(tool)
    }
    while true {
        for command in inbox.take() {
            switch command[0] {
            case "watch":
                let marker = Array(command.dropFirst())
                if try await shows(marker[1], marker[2], marker[3]) {
                    say("bad", marker[0])  // already first, or not ranked in the first five: another tool
                } else {
                    watch = marker
                    say("watching", marker[0])
                }
            case "quit":
                return
            default:
                say("error", "unknown command \(command[0])")
            }
        }
        if let marker = watch, try await shows(marker[1], marker[2], marker[3]) {
            say("seen", marker[0], "\(monotonicNanoseconds())")
            watch = nil
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// The longest call since the last `take()`.
final class LongestCall: Sendable {
    private let milliseconds = Mutex(0.0)
    func record(_ value: Double) { milliseconds.withLock { $0 = max($0, value) } }
    func take() -> Double { milliseconds.withLock { value in defer { value = 0 }; return value } }
}

/// B for the adapter swap: one gantry following every 250 ms, whose `servedAdapterVersion` is read
/// every 2 ms (`swapped` with the time it changed) while a task asks it `retrieveTools` every 2 ms
/// (the longest of those calls since the last sync is how long the swap held retrieval up), and
/// one that never follows on its own, whose `followStore()` after a swap is timed (`reindex`:
/// re-adapting the catalogue and building the index); after a publish, a fresh open is timed too
/// (`open`).
func runSwapper(store: String) async throws {
    let start = monotonicNanoseconds()
    let following = try await openGantry(store)
    let openMilliseconds = milliseconds(since: start)
    let lagging = try await openGantry(store, followInterval: nil)
    var served = await following.servedAdapterVersion
    say("ready", "\(openMilliseconds)", "\(await following.tools.count)")
    let longest = LongestCall(), probe = World.markerQuery(999_999_999)
    let prober = Task {
        while !Task.isCancelled {
            let start = monotonicNanoseconds()
            _ = try? await following.retrieveTools(probe)
            longest.record(milliseconds(since: start))
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    defer { prober.cancel() }
    let inbox = Inbox()
    while true {
        for command in inbox.take() {
            switch command[0] {
            case "sync":  // fold what was written so far into both, so a timed followStore() is the swap alone
                try await following.followStore()
                try await lagging.followStore()
                _ = longest.take()
                say("synced")
            case "quit":
                return
            default:
                say("error", "unknown command \(command[0])")
            }
        }
        let version = await following.servedAdapterVersion
        if version != served {
            say("swapped", "\(monotonicNanoseconds())", version.map(String.init) ?? "none")
            served = version
            let start = monotonicNanoseconds()
            try await lagging.followStore()
            say("reindex", "\(milliseconds(since: start))", await lagging.servedAdapterVersion.map(String.init) ?? "none", "\(longest.take())")
            if version != nil {
                let start = monotonicNanoseconds()
                let fresh = try await openGantry(store, followInterval: nil)
                say("open", "\(milliseconds(since: start))", await fresh.servedAdapterVersion.map(String.init) ?? "none")
            }
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}

// MARK: parent

/// Complete lines a child printed, collected off its pipe, and whether the pipe has ended.
final class LineBuffer: Sendable {
    private let state = Mutex((pending: Data(), lines: [String](), ended: false))

    func append(_ chunk: Data) {
        state.withLock { state in
            state.pending.append(chunk)
            while let newline = state.pending.firstIndex(of: 10) {
                state.lines.append(String(decoding: state.pending.subdata(in: state.pending.startIndex..<newline), as: UTF8.self))
                state.pending = state.pending.subdata(in: newline + 1..<state.pending.endIndex)
            }
        }
    }

    func take() -> [String] { state.withLock { state in defer { state.lines = [] }; return state.lines } }

    /// Marks the end of the pipe: every line the child printed is in.
    func end() { state.withLock { $0.ended = true } }
    /// Whether the pipe has ended: read before a `take()`, true means that take has every line.
    var ended: Bool { state.withLock { $0.ended } }

    /// Reads a copy of `descriptor` on a thread of its own until the pipe's end, then closes the
    /// copy (blocking reads: only the end of the pipe, or an error, returns no bytes;
    /// `FileHandle.availableData` gives empty data for a failed read too).
    func collect(from descriptor: Int32) {
        let descriptor = dup(descriptor)
        let thread = Thread { [self] in
            defer { close(descriptor) }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    append(Data(chunk[0..<count]))
                } else if count < 0, errno == EINTR {
                    continue
                } else {
                    return end()
                }
            }
        }
        thread.start()
    }
}

/// A child process of this binary, talked to in tab-separated lines.
final class Child {
    let role: String
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private let buffer = LineBuffer()
    private var received = [[String]]()

    init(_ role: String, _ arguments: [String]) throws {
        self.role = role
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["child", role] + arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        buffer.collect(from: output.fileHandleForReading.fileDescriptor)
    }

    func send(_ fields: String...) {
        try? input.fileHandleForWriting.write(contentsOf: Data((fields.joined(separator: "\t") + "\n").utf8))
    }

    /// The first line not taken yet whose leading fields are `prefix`, waiting up to `seconds`
    /// (nil then); throws when the child reports an error or exits.
    func expect(_ prefix: String..., within seconds: Double) throws -> [String]? {
        try expect(anyOf: [prefix], within: seconds)
    }

    /// The first line not taken yet whose leading fields are one of `prefixes`.
    func expect(anyOf prefixes: [[String]], within seconds: Double) throws -> [String]? {
        let deadline = monotonicNanoseconds() + Int64(seconds * 1e9)
        var checksSinceExit = 0
        while true {
            let ended = buffer.ended
            let fresh = buffer.take().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
            received += fresh
            if let i = received.firstIndex(where: { line in prefixes.contains { line.starts(with: $0) } }) { return received.remove(at: i) }
            if let error = received.first(where: { $0.first == "error" }) {
                throw FleetError("the \(role) child: " + error.dropFirst().joined(separator: " "))
            }
            if !process.isRunning {
                // Its last lines may still be in the pipe (a checker prints one per event: tens of
                // thousands, read on another thread that a loaded host delays; 2 s of quiet was not
                // enough once on CI's loaded host): given up once the pipe has ended — every line
                // read — or after a minute without its end (a grandchild holding the pipe).
                checksSinceExit += 1
                if ended || checksSinceExit >= 600 {
                    throw FleetError("the \(role) child exited (status \(process.terminationStatus)) before printing \(prefixes.map { $0.joined(separator: " ") })")
                }
                usleep(100_000)
                continue
            }
            if monotonicNanoseconds() > deadline { return nil }
            usleep(300)
        }
    }

    /// Every line not taken yet whose first field is `field`, in order.
    func takeAll(_ field: String) -> [[String]] {
        received += buffer.take().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let taken = received.filter { $0.first == field }
        received.removeAll { $0.first == field }
        return taken
    }

    /// SIGKILL, then the lines it printed before it died.
    func killNow() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let deadline = monotonicNanoseconds() + 10_000_000_000  // its last lines may still be in the pipe
        while !buffer.ended, monotonicNanoseconds() < deadline { usleep(10_000) }
        received += buffer.take().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    func stop() {
        send("quit")
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while process.isRunning, monotonicNanoseconds() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

func loadAverage() -> String {
    ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
}

/// Nearest rank: the smallest value with at least `p` of the values at or under it.
func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

struct KindResult: Codable {
    var kind: String
    var markers: Int
    var seen: Int
    var missed: Int
    var p50Ms: Double
    var p99Ms: Double
    var maxMs: Double
    var minMs: Double
    var latenciesMs: [Double]
}

struct LatencyResult: Codable {
    var tools: Int
    var followIntervalMs: Int
    /// Tools passed over because the follower's ranking already showed their marker (a correction
    /// target already first, a breaker or removal target not in the first five for its own text).
    var toolsPassedOver: Int
    var kinds: [KindResult]
}

struct SwapRound: Codable {
    var trainMs: Double
    var adapterVersion: String
    /// A's train() returned → B's servedAdapterVersion changed.
    var publishSwapMs: Double
    /// followStore() of a gantry that had not followed the publish: re-adapting and indexing.
    var publishReindexMs: Double
    var freshOpenMs: Double
    /// A's forget(user:) of the trained-on user was called → B served the identity again. From the
    /// call, not its return: forget commits first, then re-adapts A's own catalogue before it returns.
    var withdrawSwapMs: Double
    /// How long A's forget(user:) took (its own re-adapting and indexing included).
    var forgetMs: Double
    var withdrawReindexMs: Double
    /// The longest retrieveTools on B (one every 2 ms) around each swap: the swap holds B's actor.
    var publishRetrievalStallMs: Double
    var withdrawRetrievalStallMs: Double
}

struct SwapResult: Codable {
    var tools: Int
    /// A's open of the empty store and register() of the catalogue.
    var registerMs: Double
    var followerOpenMs: Double
    var rounds: [SwapRound]
    /// The bound the issue asks for: the write → ranking p99 (corrections, 250 ms) plus the
    /// slowest re-adapt-and-index.
    var boundMs: Double
}

struct Report: Codable {
    var mode: String
    var loadAverageStart: String
    var loadAverageEnd: String
    var seconds: Double
    var latency: [LatencyResult]
    var swaps: [SwapResult]
    var load: [LoadResult]
    var failures: [String]
}

/// The tools markers are made on, in a seeded order, each used once (a removed tool is gone, an
/// opened breaker stays open for its 30 s cool-down).
struct ToolPlan {
    private var order: [Int]
    private var next = 0
    init(tools: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        order = Array(0..<tools).shuffled(using: &rng)
    }
    mutating func take() throws -> Int {
        guard next < order.count else { throw FleetError("out of tools for markers: use more --tools or fewer --markers") }
        defer { next += 1 }
        return order[next]
    }
}

let kinds = ["correction", "breaker", "removal"]

/// Write → ranking on `store` (registered by the writer on first use) with a follower every
/// `followMilliseconds`: `markers` markers of each kind, interleaved, one at a time.
func measureLatency(store: String, tools: Int, followMilliseconds: Int, markers: Int, firstMarker: Int, plan: inout ToolPlan,
                    rng: inout SplitMix64, failures: inout [String]) throws -> LatencyResult {
    let writer = try Child("writer", [store, "\(tools)"])
    defer { writer.stop() }
    guard try writer.expect("ready", within: 1_800) != nil else { throw FleetError("the writer did not open the store in 30 min") }
    let follower = try Child("follower", [store, "\(followMilliseconds)"])
    defer { follower.stop() }
    guard try follower.expect("ready", within: 1_800) != nil else { throw FleetError("the follower did not open the store in 30 min") }
    var latencies = [String: [Double]](), missed = [String: Int](), passedOver = 0
    for i in 0..<markers * kinds.count {
        let kind = kinds[i % kinds.count], marker = "\(firstMarker + i)"
        var tool: String, query: String
        while true {
            let k = try plan.take()
            tool = World.name(k)
            query = kind == "correction" ? World.markerQuery(firstMarker + i) : World.tool(k).embeddingText
            follower.send("watch", marker, kind, tool, query)
            guard let answer = try follower.expect(anyOf: [["watching", marker], ["bad", marker]], within: 30) else {
                throw FleetError("the follower did not answer watch \(marker)")
            }
            if answer[0] == "watching" { break }
            passedOver += 1
        }
        // A random phase against B's follow timer.
        usleep(useconds_t(rng.next() % UInt64(followMilliseconds * 1_000)))
        writer.send(kind, marker, tool, query)
        guard let ack = try writer.expect("ack", marker, within: 30) else { throw FleetError("the writer did not acknowledge marker \(marker) in 30 s") }
        if let seen = try follower.expect("seen", marker, within: 30) {
            latencies[kind, default: []].append(Double(Int64(seen[2])! - Int64(ack[2])!) / 1e6)
        } else {
            missed[kind, default: 0] += 1
            failures.append("\(kind) marker \(marker) (\(tool)) not seen by the follower (\(followMilliseconds) ms) within 30 s")
        }
    }
    return LatencyResult(tools: tools, followIntervalMs: followMilliseconds, toolsPassedOver: passedOver, kinds: kinds.map { kind in
        let values = latencies[kind] ?? []
        return KindResult(kind: kind, markers: markers, seen: values.count, missed: missed[kind] ?? 0, p50Ms: percentile(values, 0.5),
                          p99Ms: percentile(values, 0.99), maxMs: values.max() ?? 0, minMs: values.min() ?? 0, latenciesMs: values)
    })
}

/// Adapter swaps on a fresh store of `tools` tools: per round, A records learnable feedback and
/// trains (publish), then forgets the user it trained on (withdrawal).
func measureSwap(store: String, tools: Int, rounds: Int, boundBase: Double) throws -> SwapResult {
    let writer = try Child("writer", [store, "\(tools)"])
    defer { writer.stop() }
    guard let written = try writer.expect("ready", within: 3_600) else { throw FleetError("the writer did not open the store in 60 min") }
    let swapper = try Child("swapper", [store])
    defer { swapper.stop() }
    guard let ready = try swapper.expect("ready", within: 3_600) else { throw FleetError("the swapper did not open the store in 60 min") }
    var result = SwapResult(tools: tools, registerMs: Double(written[1])!, followerOpenMs: Double(ready[1])!, rounds: [], boundMs: 0)
    for round in 0..<rounds {
        writer.send("feedback", "\(round)")
        guard try writer.expect("fed", "\(round)", within: 600) != nil else { throw FleetError("recording feedback took over 10 min") }
        swapper.send("sync")
        guard try swapper.expect("synced", within: 3_600) != nil else { throw FleetError("the swapper did not follow the feedback") }
        writer.send("train")
        guard let trained = try writer.expect("trained", within: 3_600) else { throw FleetError("train() took over 60 min") }
        guard trained[2] == "applied" else { throw FleetError("train() on \(tools) tools was not applied: \(trained[5])") }
        let version = trained[3]
        guard let publish = try swapper.expect("swapped", within: 600), publish[2] == version,
              let publishReindex = try swapper.expect("reindex", within: 3_600), publishReindex[2] == version,
              let open = try swapper.expect("open", within: 3_600), open[2] == version
        else { throw FleetError("the swapper did not serve adapter version \(version) within 10 min") }
        swapper.send("sync")
        guard try swapper.expect("synced", within: 3_600) != nil else { throw FleetError("the swapper did not answer sync") }
        writer.send("forget", "trainer-\(round)")
        guard let forgot = try writer.expect("forgot", within: 600), forgot[4] == "none" else { throw FleetError("forget did not withdraw the adapter") }
        guard let withdraw = try swapper.expect("swapped", within: 600), withdraw[2] == "none",
              let withdrawReindex = try swapper.expect("reindex", within: 3_600), withdrawReindex[2] == "none"
        else { throw FleetError("the swapper did not withdraw adapter version \(version) within 10 min") }
        result.rounds.append(SwapRound(trainMs: Double(trained[4])!, adapterVersion: version,
                                       publishSwapMs: Double(Int64(publish[1])! - Int64(trained[1])!) / 1e6,
                                       publishReindexMs: Double(publishReindex[1])!, freshOpenMs: Double(open[1])!,
                                       withdrawSwapMs: Double(Int64(withdraw[1])! - Int64(forgot[1])!) / 1e6,
                                       forgetMs: Double(Int64(forgot[2])! - Int64(forgot[1])!) / 1e6,
                                       withdrawReindexMs: Double(withdrawReindex[1])!,
                                       publishRetrievalStallMs: Double(publishReindex[3])!, withdrawRetrievalStallMs: Double(withdrawReindex[3])!))
    }
    result.boundMs = boundBase + (result.rounds.map { max($0.publishReindexMs, $0.withdrawReindexMs) }.max() ?? 0)
    return result
}

func format(_ milliseconds: Double) -> String {
    milliseconds >= 10_000 ? String(format: "%.1f s", milliseconds / 1_000) : String(format: "%.1f ms", milliseconds)
}

func runParent() throws -> Bool {
    signal(SIGPIPE, SIG_IGN)  // a child that died is reported by `expect`, not by a write to its pipe
    let tools = Int(option("tools") ?? "1000")!, markers = Int(option("markers") ?? "20")!, seed = UInt64(option("seed") ?? "1")!
    let load = Double(option("load") ?? "0")!, postgres = option("postgres")
    let swapList = option("swaps") ?? "1000,10000"
    let swaps = try (swapList == "none" ? "" : swapList).split(separator: ",").map { item -> (tools: Int, rounds: Int) in
        let parts = item.split(separator: ":").map { Int($0) }
        guard let size = parts.first ?? nil, parts.count <= 2, let rounds = parts.count == 2 ? parts[1] : 1 else {
            throw FleetError("--swaps takes sizes with optional rounds, like 1000:3,100000; got \(item)")
        }
        return (size, rounds)
    }
    let folder = NSTemporaryDirectory() + "gantry-fleet-\(getpid())"
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let start = monotonicNanoseconds()
    var report = Report(mode: "\(tools) tools, \(markers) markers per kind, swaps " + swaps.map { "\($0.tools):\($0.rounds)" }.joined(separator: ","),
                        loadAverageStart: loadAverage(), loadAverageEnd: "", seconds: 0, latency: [], swaps: [], load: [], failures: [])
    say("load average at start: \(report.loadAverageStart)")
    var rng = SplitMix64(seed: seed), plan = ToolPlan(tools: tools, seed: seed)
    do {
        for (run, interval) in (markers > 0 ? [250, 50] : [Int]()).enumerated() {
            say("== write → ranking: \(tools) tools, follower every \(interval) ms, \(markers) markers per kind")
            let runStart = monotonicNanoseconds()
            let result = try measureLatency(store: folder + "/latency.sqlite", tools: tools, followMilliseconds: interval, markers: markers,
                                            firstMarker: run * 1_000_000, plan: &plan, rng: &rng, failures: &report.failures)
            report.latency.append(result)
            for kind in result.kinds {
                say("  \(kind.kind.padding(toLength: 10, withPad: " ", startingAt: 0)) \(kind.seen) seen, \(kind.missed) missed   "
                      + "p50 \(format(kind.p50Ms))  p99 \(format(kind.p99Ms))  max \(format(kind.maxMs))")
            }
            say("  (\(result.toolsPassedOver) tools passed over; \(format(milliseconds(since: runStart))))")
        }
        let base = report.latency.first?.kinds.first?.p99Ms ?? 0
        for (size, rounds) in swaps {
            say("== adapter swap: \(size) tools, \(rounds) round\(rounds == 1 ? "" : "s")")
            let runStart = monotonicNanoseconds()
            let result = try measureSwap(store: folder + "/swap-\(size).sqlite", tools: size, rounds: rounds, boundBase: base)
            report.swaps.append(result)
            for round in result.rounds {
                say("  train() \(format(round.trainMs)) (version \(round.adapterVersion)); publish seen after \(format(round.publishSwapMs)), "
                      + "withdrawal after \(format(round.withdrawSwapMs)) (forget() \(format(round.forgetMs))); re-adapt and index \(format(round.publishReindexMs)) "
                      + "(withdrawal \(format(round.withdrawReindexMs))); fresh open \(format(round.freshOpenMs)); "
                      + "longest retrieval on B \(format(round.publishRetrievalStallMs)) / \(format(round.withdrawRetrievalStallMs))")
            }
            say("  bound (write → ranking p99 + re-adapt and index): \(format(result.boundMs)); register \(format(result.registerMs)), "
                  + "follower open \(format(result.followerOpenMs)) "
                  + "(\(format(milliseconds(since: runStart))))")
        }
        if load > 0 {
            // A SQLite file, and a schema of its own in the PostgreSQL database when given one.
            var stores = [("SQLite", folder + "/load.sqlite")]
            if let postgres {
                var url = URLComponents(string: postgres)!
                url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "options", value: "-c search_path=fleet_load_\(getpid())")]
                stores.append(("PostgreSQL", url.string!))
            }
            for (kind, store) in stores {
                say("== load on \(kind): 4 processes × 16 tasks for \(Int(load)) s, \(tools) tools; a writer and a trainer SIGKILLed")
                let result = try measureLoad(store: store, kind: kind, tools: tools, seconds: load, failures: &report.failures)
                report.load.append(result)
                say("  \(result.acknowledgedEvents) events acknowledged in \(String(format: "%.1f", result.seconds)) s: "
                      + "\(String(format: "%.0f", result.eventsPerSecond)) events/s (\(result.failedCalls) calls failed)")
                say("  convergence (one process calls register(), the 3 others show the tool): \(result.markers) markers, "
                      + "p50 \(format(result.convergenceP50Ms))  p99 \(format(result.convergenceP99Ms))  max \(format(result.convergenceMaxMs)), "
                      + "\(result.markersNeverSeen) never seen")
                say("  writer SIGKILLed \(result.writerKills)×, trainer \(result.trainerKills)× (after \(format(result.trainerKilledAfterMs)) of a train() measured at \(format(result.trainMs))); "
                      + "lost \(result.lostEvents), stored twice \(result.doubledEvents), stale processes \(result.staleProcesses), "
                      + "adapter versions out of order \(result.adapterVersionsOutOfOrder)")
            }
        }
    } catch {
        report.failures.append("\(error)")
    }
    report.loadAverageEnd = loadAverage()
    report.seconds = milliseconds(since: start) / 1_000
    say("load average at end: \(report.loadAverageEnd); \(String(format: "%.1f", report.seconds)) s")
    for failure in report.failures { say("FAILED \(failure)") }
    if let path = option("json") {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(report).write(to: URL(fileURLWithPath: path))
    }
    return report.failures.isEmpty
}

// MARK: main

let arguments = CommandLine.arguments
if arguments.count >= 4, arguments[1] == "child" {
    do {
        switch arguments[2] {
        case "writer": try await runWriter(store: arguments[3], tools: Int(arguments[4])!)
        case "follower": try await runFollower(store: arguments[3], followMilliseconds: Int(arguments[4])!)
        case "swapper": try await runSwapper(store: arguments[3])
        case "loader": try await runLoader(store: arguments[3], index: Int(arguments[4])!, generation: Int(arguments[5])!, tools: Int(arguments[6])!)
        case "trainer": try await runTrainer(store: arguments[3], tools: Int(arguments[4])!)
        case "checker": try await runChecker(store: arguments[3])
        default: throw FleetError("unknown child \(arguments[2])")
        }
    } catch {
        say("error", "\(error)".replacingOccurrences(of: "\n", with: " "))
        exit(1)
    }
    exit(0)
}
exit(try runParent() ? 0 : 1)
