// UpgradeWorker: one AgentGantry process on a store, driven by JSON lines on standard input and
// answering one JSON line each, for the upgrade harness (`Reliability/run.sh upgrade`,
// RELIABILITY.md §8). This one file is built twice: against the newest release (N, in
// Reliability/.build/upgrade/worker-N) and against this checkout (N+1). So it calls only public
// API that both versions have, and embeds with its own hashing embedder: no model files.
//
//   UpgradeWorker --store FILE [--follow-ms 250]     (--follow-ms 0: never follow on its own)
//
// Requests (fields in brackets are optional):
//   {"op": "register", "tools": [{"name", "description", ["tags", "examples"]}]}
//   {"op": "remove", "tool"}
//   {"op": "feedback", "query", "correct", ["selected", "user", "team", "session"]}
//   {"op": "execution", "tool", "outcome", ["latencyMs", "user", "team", "session"]}
//   {"op": "forget", "user"}                 → "count": events deleted
//   {"op": "tools"}                          → "tools": [{"name", "fingerprint"}], by name
//   {"op": "rank", "probes": [{"query", ["user", "team", "session"]}], ["limit"]}
//                                            → "rankings": one list of matches per probe
//   {"op": "breakers"}                       → "breakers": {tool: state} of every registered tool
//   {"op": "train"}                          → "training": what train() did
//   {"op": "adapter"}                        → "adapter": the version served and those stored
//   {"op": "export"}                         → "export": the event log as JSON lines
//   {"op": "follow"}                         (followStore() now)
// Every answer has "ok": true, or "ok": false and "error". The first line, once the store is
// open, is {"ok": true, "ready": true}; the worker ends at the end of its input.
import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryMath

/// A deterministic embedder: every word of a text and every character trigram of a word adds a
/// weight of ±(0.5 … 1.5), taken from its FNV-1a hash, to one of 32 buckets chosen by that hash;
/// the sum is scaled to unit length. Texts sharing words are close, texts sharing none near
/// orthogonal, and both versions embed a text identically.
struct HashingEmbedder: Embedder {
    let dimension = 32
    var modelIdentity: String { "upgrade-hashing-32" }

    func embed(_ texts: [String]) throws -> Matrix {
        try Matrix(rows: texts.count, cols: dimension, values: texts.flatMap(vector))
    }

    private func vector(_ text: String) -> [Float] {
        var vector = [Double](repeating: 0, count: dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            let padded = Array("#\(word)#")
            let trigrams = (0..<max(padded.count - 2, 1)).map { String(padded[$0..<min($0 + 3, padded.count)]) }
            for feature in [String(word)] + trigrams {
                let hash = Self.fnv1a(feature)
                let magnitude = 0.5 + Double(hash >> 11 & 0x3ff) / 1024  // 10 bits apart from the bucket's
                vector[Int(hash % UInt64(dimension))] += hash >> 63 == 0 ? magnitude : -magnitude
            }
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return vector.map { Float(norm > 0 ? $0 / norm : 0) }
    }

    private static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// One request line.
struct Request: Decodable {
    struct ToolSpec: Decodable {
        var name: String
        var description: String
        var tags: [String]?
        var examples: [String]?
    }

    struct Probe: Decodable {
        var query: String
        var user: String?
        var team: String?
        var session: String?
    }

    var op: String
    var tools: [ToolSpec]?
    var tool: String?
    var query: String?
    var correct: String?
    var selected: String?
    var outcome: ExecutionOutcome?
    var latencyMs: Double?
    var user: String?
    var team: String?
    var session: String?
    var probes: [Probe]?
    var limit: Int?

    var context: RoutingContext { RoutingContext(user: user, team: team, session: session) }
}

/// One answer line; the fields a request does not produce are left out.
struct Answer: Encodable {
    struct ToolRow: Encodable {
        var name: String
        var fingerprint: String
    }

    struct Match: Encodable {
        var tool: String
        var score: Double
        var pinned: Bool
        var signals: [String: Double]
    }

    struct Training: Encodable {
        var applied: Bool
        var events: Int
        var requests: Int
        var reason: String?
        var gate: GateDecision?
        var adapterVersion: Int64?
        var unregisteredToolEvents: Int
    }

    struct Adapter: Encodable {
        struct Version: Encodable {
            var version: Int64
            var highestEventID: Int64
            var trainedEvents: Int
            var withdrawn: Bool
        }

        var served: Int64?
        var versions: [Version]
    }

    var ok = true
    var error: String?
    var ready: Bool?
    var count: Int?
    var tools: [ToolRow]?
    var rankings: [[Match]]?
    var breakers: [String: String]?
    var training: Training?
    var adapter: Adapter?
    var export: String?
}

/// Why the command line was refused.
struct UsageError: Error, CustomStringConvertible {
    var description: String
}

func perform(_ request: Request, on gantry: AgentGantry) async throws -> Answer {
    func required<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else { throw UsageError(description: "\"\(request.op)\" needs \"\(field)\"") }
        return value
    }
    var answer = Answer()
    switch request.op {
    case "register":
        try await gantry.register(try required(request.tools, "tools").map {
            Tool(name: $0.name, description: $0.description, tags: $0.tags ?? [], examples: $0.examples ?? [])
        })
    case "remove":
        try await gantry.remove(try required(request.tool, "tool"))
    case "feedback":
        try await gantry.recordFeedback(query: try required(request.query, "query"), selectedTool: request.selected,
                                        correctTool: try required(request.correct, "correct"), context: request.context)
    case "execution":
        try await gantry.recordExecution(tool: try required(request.tool, "tool"), outcome: try required(request.outcome, "outcome"),
                                         latency: request.latencyMs.map { .microseconds(Int64(($0 * 1000).rounded())) },
                                         context: request.context)
    case "forget":
        answer.count = try await gantry.forget(user: try required(request.user, "user"))
    case "tools":
        answer.tools = await gantry.tools.map { Answer.ToolRow(name: $0.name, fingerprint: $0.fingerprint) }
    case "rank":
        var rankings = [[Answer.Match]]()
        for probe in try required(request.probes, "probes") {
            let context = RoutingContext(user: probe.user, team: probe.team, session: probe.session)
            let matches = try await gantry.retrieveTools(probe.query, limit: request.limit ?? 5, context: context)
            rankings.append(matches.map { match in
                Answer.Match(tool: match.tool.name, score: match.score, pinned: match.pinned,
                             signals: Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.name, match.breakdown[$0]) }))
            })
        }
        answer.rankings = rankings
    case "breakers":
        var breakers = [String: String]()
        for tool in await gantry.tools { breakers[tool.name] = try await gantry.breakerState(of: tool.name).rawValue }
        answer.breakers = breakers
    case "train":
        let summary = try await gantry.train()
        answer.training = Answer.Training(applied: summary.applied, events: summary.events, requests: summary.requests,
                                          reason: summary.reason, gate: summary.gate, adapterVersion: summary.adapterVersion,
                                          unregisteredToolEvents: summary.unregisteredToolEvents)
    case "adapter":
        answer.adapter = Answer.Adapter(served: await gantry.servedAdapterVersion, versions: try await gantry.adapterVersions().map {
            Answer.Adapter.Version(version: $0.version, highestEventID: $0.highestEventID, trainedEvents: $0.trainedEvents,
                                   withdrawn: $0.isWithdrawn)
        })
    case "export":
        answer.export = try await gantry.exportEvents()
    case "follow":
        try await gantry.followStore()
    default:
        throw UsageError(description: "unknown op \"\(request.op)\"")
    }
    return answer
}

/// Writes `answer` as one line and flushes it (the driver waits for it).
func send(_ answer: Answer) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = (try? encoder.encode(answer)) ?? Data(#"{"ok":false,"error":"the answer did not encode"}"#.utf8)
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func configuration(_ arguments: [String]) throws -> GantryConfiguration {
    var store: String?, followMilliseconds = 250
    var rest = arguments[...]
    while let flag = rest.popFirst() {
        guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
        switch flag {
        case "--store": store = value
        case "--follow-ms":
            guard let milliseconds = Int(value), milliseconds >= 0 else { throw UsageError(description: "--follow-ms takes milliseconds ≥ 0") }
            followMilliseconds = milliseconds
        default: throw UsageError(description: "unknown option \(flag)")
        }
    }
    guard let store else { throw UsageError(description: "usage: UpgradeWorker --store FILE [--follow-ms 250]") }
    var configuration = GantryConfiguration(storePath: store)
    configuration.followInterval = followMilliseconds == 0 ? nil : .milliseconds(followMilliseconds)
    // Processes compared with each other rank seconds apart; at the default 30-day half-life a
    // correction's weight falls by 2.7e-7 a second, which the 1e-6 comparison would see.
    configuration.feedbackHalfLife = 1e12
    #if !UPGRADE_WORKER_RELEASE
    // This version ranks with hybrid retrieval, which the release does not have, so their rankings
    // differ by design; the versions are compared on dense retrieval, as the release ranks (the
    // processes of this version converging on hybrid rankings: gantryTests' ConvergenceTests).
    configuration.lexicalWeight = 0
    #endif
    return configuration
}

do {
    let gantry = try await AgentGantry(configuration: try configuration(Array(CommandLine.arguments.dropFirst())), embedder: HashingEmbedder())
    send(Answer(ready: true))
    while let line = readLine(strippingNewline: true) {
        guard !line.allSatisfy(\.isWhitespace) else { continue }
        do {
            send(try await perform(try JSONDecoder().decode(Request.self, from: Data(line.utf8)), on: gantry))
        } catch {
            send(Answer(ok: false, error: "\(error)"))
        }
    }
} catch {
    send(Answer(ok: false, error: "\(error)"))
    exit(1)
}
