import AgentGantry
import GantryServer
import ArgumentParser
import Foundation
import Synchronization

/// `gantry stdio`: one store served over standard input and output, one JSON request per line,
/// one JSON answer per line — AgentGantry for scripts in any language, and for operators who
/// want to see what a running process sees (it follows the store like every process does).
struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Serve a store over stdin/stdout: one JSON request per line, one JSON answer per line.",
        discussion: """
            Requests (fields in brackets are optional):
              {"op": "register", "tools": [definition, …]}  (AgentGantry's {"name", "description", ["parameters", \
                "tags", "namespace", "examples", "deprecated"]}, or an OpenAI, Anthropic or MCP tool definition)
              {"op": "remove", "tool": NAME}
              {"op": "retrieve", "query": TEXT, ["limit": 5, "user": …, "team": …, "session": …]}
              {"op": "selection", "retrieval": ID, "tool": NAME, ["user": …, …]}
              {"op": "feedback", "query": TEXT | "retrieval": ID, "correct": NAME, ["selected": NAME, "user": …, "team": …, "session": …]}
              {"op": "execution", "tool": NAME, "outcome": "success"|"failure"|"timeout"|"wrong_tool", ["retrieval": ID, "latencyMs": …, "user": …, …]}
              {"op": "breaker", "tool": NAME}
              {"op": "tools"}
              {"op": "forget", "user": NAME}
              {"op": "follow"}            (apply what other processes stored, now)
              {"op": "adapter"}           (the adapter version served)
            Every answer has "ok": true with the result, or "ok": false with "error". A retrieval \
            answers {"retrieval": ID, "matches": [{"tool", "score", "pinned", "breaker", "signals": {…}}]}; \
            reports naming that ID link to it ("wrong_tool" needs one). A request \
            with an "id" (a number) runs at once, beside the requests still running, and its answer \
            carries the id (answers then come in the order requests finish); requests without one \
            run one at a time, in order. The process follows the store every --follow-ms, as every \
            AgentGantry does; it ends at the end of its input, once every request has been answered.
            """
    )

    @Option(help: "The store: a SQLite file (created if there is none), or a postgres:// URL (default: $GANTRY_STORE_URL).")
    var store: String?
    @Option(help: "How often to apply what other processes stored, in milliseconds.") var followMs = 250

    func validate() throws {
        guard followMs > 0 else { throw ValidationError("--follow-ms must be positive, got \(followMs)") }
    }

    func run() async throws {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.followInterval = .milliseconds(followMs)
        let gantry = try await StoreLocation(store).openGantry(configuration)
        let output = AnswerWriter()
        output.write(["ok": true, "ready": true, "tools": await gantry.tools.count])
        await withTaskGroup(of: Void.self) { running in
            for await line in Self.inputLines() {
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                let request: StdioRequest
                do {
                    request = try JSONDecoder().decode(StdioRequest.self, from: Data(line.utf8))
                } catch {
                    output.write(["ok": false, "error": "not a request: \(error)"])
                    continue
                }
                if request.id != nil {
                    running.addTask { output.write(await request.answer(on: gantry)) }
                } else {
                    output.write(await request.answer(on: gantry))
                }
            }
        }
    }

    /// Standard input's lines, read on a thread of their own (a blocking read must not hold a
    /// thread the requests run on).
    private static func inputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        return lines
    }
}

/// Writes answers to standard output, one JSON line each, whole lines only (requests with ids
/// answer from several tasks at once).
private final class AnswerWriter: Sendable {
    private let lock = Mutex(())

    /// Writes `object` as a line of sorted-key JSON and flushes it.
    func write(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(#"{"ok":false}"#.utf8)
        lock.withLock { _ in FileHandle.standardOutput.write(data + Data("\n".utf8)) }
    }
}

/// One request line of `gantry stdio`.
private struct StdioRequest: Decodable, Sendable {
    /// Present: the request runs beside the others and its answer carries it.
    var id: Int?
    var op: String
    var tools: [JSONValue]?
    var tool: String?
    var query: String?
    var limit: Int?
    var correct: String?
    var selected: String?
    var outcome: ExecutionOutcome?
    var retrieval: RetrievalID?
    var latencyMs: Double?
    var user: String?
    var team: String?
    var session: String?

    var context: RoutingContext { RoutingContext(user: user, team: team, session: session) }

    /// The answer: the result with "ok": true, or "ok": false and the error; with the id.
    func answer(on gantry: AgentGantry) async -> [String: Any] {
        var answer: [String: Any]
        do {
            answer = try await perform(on: gantry)
            answer["ok"] = true
        } catch let error as GantryError {
            answer = ["ok": false, "error": error.description]
        } catch {
            answer = ["ok": false, "error": "\(error)"]
        }
        if let id { answer["id"] = id }
        return answer
    }

    func perform(on gantry: AgentGantry) async throws -> [String: Any] {
        func required<T>(_ value: T?, _ field: String) throws(GantryError) -> T {
            guard let value else { throw .invalidInput("\"\(op)\" needs \"\(field)\"") }
            return value
        }
        switch op {
        case "register":
            let definitions = try required(tools, "tools")
            try await gantry.register(try definitions.indices.map { i throws(GantryError) in try ToolDefinitions.parse(definitions[i], position: "tools[\(i)]") })
            return [:]
        case "remove":
            try await gantry.remove(try required(tool, "tool"))
            return [:]
        case "retrieve":
            let matches = try await gantry.retrieveTools(try required(query, "query"), limit: limit ?? 5, context: context)
            return ["retrieval": matches.id.description, "matches": matches.map { match in
                ["tool": match.tool.name, "score": match.score, "pinned": match.pinned, "breaker": match.breaker.description,
                 "signals": Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.name, match.breakdown[$0]) })]
            }]
        case "selection":
            try await gantry.recordSelection(retrieval: try required(retrieval, "retrieval"), tool: try required(tool, "tool"), context: context)
            return [:]
        case "feedback":
            if let retrieval, query == nil {
                try await gantry.recordFeedback(retrieval: retrieval, selectedTool: selected, correctTool: try required(correct, "correct"),
                                                context: context)
            } else {
                try await gantry.recordFeedback(query: try required(query, "query"), selectedTool: selected,
                                                correctTool: try required(correct, "correct"), context: context)
            }
            return [:]
        case "execution":
            if let latencyMs, !(latencyMs.isFinite && latencyMs >= 0 && latencyMs < 1e12) {
                throw GantryError.invalidInput("latencyMs must be a number of milliseconds from 0 to 1e12")
            }
            let latency = latencyMs.map { Duration.microseconds(Int64(($0 * 1000).rounded())) }
            if let retrieval {
                try await gantry.recordExecution(retrieval: retrieval, tool: try required(tool, "tool"), outcome: try required(outcome, "outcome"),
                                                 latency: latency, context: context)
            } else {
                try await gantry.recordExecution(tool: try required(tool, "tool"), outcome: try required(outcome, "outcome"),
                                                 latency: latency, context: context)
            }
            return [:]
        case "breaker":
            return ["state": try await gantry.breakerState(of: try required(tool, "tool")).description]
        case "tools":
            return ["tools": await gantry.tools.map(\.name)]
        case "forget":
            return ["events": try await gantry.forget(user: try required(user, "user"))]
        case "follow":
            try await gantry.followStore()
            return [:]
        case "adapter":
            return ["version": await gantry.servedAdapterVersion.map { $0 as Any } ?? NSNull()]
        default:
            throw GantryError.invalidInput("unknown op \"\(op)\": register, remove, retrieve, selection, feedback, execution, breaker, tools, forget, follow, adapter")
        }
    }
}
