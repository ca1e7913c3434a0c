import AgentGantry
import ArgumentParser
import Foundation

/// `gantry stdio`: one store served over standard input and output, one JSON request per line,
/// one JSON answer per line — AgentGantry for scripts in any language, and for operators who
/// want to see what a running process sees (it follows the store like every process does).
struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Serve a store over stdin/stdout: one JSON request per line, one JSON answer per line.",
        discussion: """
            Requests (fields in brackets are optional):
              {"op": "register", "tools": [{"name": …, "description": …, ["tags": […], "namespace": …, "examples": […]]}]}
              {"op": "remove", "tool": NAME}
              {"op": "retrieve", "query": TEXT, ["limit": 5, "user": …, "team": …, "session": …]}
              {"op": "feedback", "query": TEXT, "correct": NAME, ["selected": NAME, "user": …, "team": …, "session": …]}
              {"op": "execution", "tool": NAME, "outcome": "success"|"failure"|"timeout", ["latencyMs": …, "user": …, …]}
              {"op": "breaker", "tool": NAME}
              {"op": "tools"}
              {"op": "forget", "user": NAME}
              {"op": "follow"}            (apply what other processes stored, now)
              {"op": "adapter"}           (the adapter version served)
            Every answer has "ok": true with the result, or "ok": false with "error". A retrieval \
            answers {"matches": [{"tool", "score", "pinned", "breaker", "signals": {…}}]}. The \
            process follows the store every --follow-ms, as every AgentGantry does; it ends at the \
            end of its input.
            """
    )

    @Option(help: "The store's SQLite file (created if there is none).") var store: String
    @Option(help: "How often to apply what other processes stored, in milliseconds.") var followMs = 250

    func validate() throws {
        guard followMs > 0 else { throw ValidationError("--follow-ms must be positive, got \(followMs)") }
    }

    func run() async throws {
        var configuration = GantryConfiguration(storePath: store)
        configuration.followInterval = .milliseconds(followMs)
        let gantry = try await AgentGantry(configuration: configuration)
        answer(["ok": true, "ready": true, "tools": await gantry.tools.count])
        while let line = readLine(strippingNewline: true) {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            do {
                let request = try JSONDecoder().decode(StdioRequest.self, from: Data(line.utf8))
                var result = try await request.perform(on: gantry)
                result["ok"] = true
                answer(result)
            } catch let error as GantryError {
                answer(["ok": false, "error": error.description])
            } catch {
                answer(["ok": false, "error": "not a request: \(error)"])
            }
        }
    }

    /// Writes one answer as a line of JSON and flushes it.
    private func answer(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(#"{"ok":false}"#.utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// One request line of `gantry stdio`.
private struct StdioRequest: Decodable {
    var op: String
    var tools: [ToolSpec]?
    var tool: String?
    var query: String?
    var limit: Int?
    var correct: String?
    var selected: String?
    var outcome: ExecutionOutcome?
    var latencyMs: Double?
    var user: String?
    var team: String?
    var session: String?

    var context: RoutingContext { RoutingContext(user: user, team: team, session: session) }

    func perform(on gantry: AgentGantry) async throws -> [String: Any] {
        func required<T>(_ value: T?, _ field: String) throws(GantryError) -> T {
            guard let value else { throw .invalidInput("\"\(op)\" needs \"\(field)\"") }
            return value
        }
        switch op {
        case "register":
            try await gantry.register(try required(tools, "tools").map(\.tool))
            return [:]
        case "remove":
            try await gantry.remove(try required(tool, "tool"))
            return [:]
        case "retrieve":
            let matches = try await gantry.retrieveTools(try required(query, "query"), limit: limit ?? 5, context: context)
            return ["matches": matches.map { match in
                ["tool": match.tool.name, "score": match.score, "pinned": match.pinned, "breaker": match.breaker.description,
                 "signals": Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.name, match.breakdown[$0]) })]
            }]
        case "feedback":
            try await gantry.recordFeedback(query: try required(query, "query"), selectedTool: selected,
                                            correctTool: try required(correct, "correct"), context: context)
            return [:]
        case "execution":
            if let latencyMs, !(latencyMs.isFinite && latencyMs >= 0 && latencyMs < 1e12) {
                throw GantryError.invalidInput("latencyMs must be a number of milliseconds from 0 to 1e12")
            }
            try await gantry.recordExecution(tool: try required(tool, "tool"), outcome: try required(outcome, "outcome"),
                                             latency: latencyMs.map { .microseconds(Int64(($0 * 1000).rounded())) }, context: context)
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
            throw GantryError.invalidInput("unknown op \"\(op)\": register, remove, retrieve, feedback, execution, breaker, tools, forget, follow, adapter")
        }
    }
}

/// A tool in a `register` request: `Tool`'s fields, all but the name and description optional.
private struct ToolSpec: Decodable {
    var name: String
    var description: String
    var tags: [String]?
    var namespace: String?
    var parameters: JSONValue?
    var examples: [String]?
    var deprecated: Bool?

    var tool: Tool {
        Tool(name: name, description: description, tags: tags ?? [], namespace: namespace ?? "default", parameters: parameters,
             examples: examples ?? [], deprecated: deprecated ?? false)
    }
}
