import AgentGantry
import Foundation
import MCP

/// The tools AgentGantry offers an agent over the Model Context Protocol:
/// - `find_tools(query, limit?)`: the best tools for a request among all registered, each as an
///   MCP tool definition ready to call (`name`, `description`, `inputSchema`) with its score, and
///   the retrieval's id for the reports;
/// - `report_outcome(tool, outcome, retrieval?, latency_ms?)`: how a call ended (`success`,
///   `failure`, `timeout`), as `AgentGantry.recordExecution` records it;
/// - `report_wrong_tool(retrieval, tool, correct?)`: the tool the retrieval offered could not do
///   the request, and, when known, the one that could (`recordFeedback`);
/// - with MCP servers declared (`UpstreamSupervisor`), `call_tool(name, arguments, retrieval?)`:
///   calls a tool of one of them that `find_tools` offered, answers with that server's result, and
///   records the outcome (success, failure — the server's tool error — or timeout) and its
///   latency; `find_tools` then leaves out the tools of servers that are down.
/// The reports feed the same learning as the Swift and HTTP paths. Tool names are given as the
/// model providers accept them (`ProviderNames`), and reports may name a tool either way. Each
/// tool also takes the routing context: `user`, `team`, `session` (and `namespace` for
/// `find_tools`). A mistake in the arguments, or a report the gantry refuses (an unknown tool or
/// retrieval), is answered as a tool error the model can read; an unknown tool name is a
/// protocol error (invalid params).
struct MCPToolbox: Sendable {
    private let names: ToolNameResolver
    /// The declared MCP servers whose tools `call_tool` calls (nil: none declared).
    let upstreams: UpstreamSupervisor?

    /// The tools on the declared servers of `upstreams`, or without `call_tool` when nil;
    /// `names` finds tools by their exported names.
    init(upstreams: UpstreamSupervisor? = nil, names: ToolNameResolver = ToolNameResolver()) {
        (self.upstreams, self.names) = (upstreams, names)
    }

    /// The names of the tools, as `tools/list` gives them.
    enum Name: String, CaseIterable {
        case findTools = "find_tools"
        case reportOutcome = "report_outcome"
        case reportWrongTool = "report_wrong_tool"
        case callTool = "call_tool"
    }

    /// What a call of a tool did: its result, or a tool error (a message the model can read).
    enum Outcome {
        case result(JSONValue)
        case toolError(String)
        /// The result of a declared server's tool (`call_tool`), as it gave it.
        case forwarded(CallTool.Result)
    }

    /// Calls the tool `name` with `arguments` on `gantry`; `MCPError.invalidParams` when no tool
    /// has that name.
    func perform(_ name: String, _ arguments: [String: JSONValue]?, on gantry: AgentGantry) async throws(MCPError) -> Outcome {
        guard let tool = Name(rawValue: name), tool != .callTool || upstreams != nil else {
            throw .invalidParams("no tool \"\(name)\": AgentGantry offers \(definitions.map(\.name).joined(separator: ", "))")
        }
        do {
            if tool == .callTool { return try await callTool(arguments, on: gantry) }
            return .result(try await {
                switch tool {
                case .findTools: try await findTools(arguments, on: gantry)
                case .reportOutcome: try await reportOutcome(arguments, on: gantry)
                case .reportWrongTool: try await reportWrongTool(arguments, on: gantry)
                case .callTool: .null  // answered above
                }
            }())
        } catch let mistake as MCPArguments.Mistake {
            return .toolError(mistake.message)
        } catch let error as GantryError {
            return .toolError(error.description)
        } catch {
            return .toolError("\(error)")
        }
    }

    /// Answers a `tools/call` of the SDK's server on `gantry`: the result as text and as
    /// structured content.
    func call(_ parameters: CallTool.Parameters, on gantry: AgentGantry) async throws -> CallTool.Result {
        switch try await perform(parameters.name, parameters.arguments?.mapValues(\.jsonValue), on: gantry) {
        case .result(let result):
            return CallTool.Result(content: [.text(text: result.canonicalText, annotations: nil, _meta: nil)],
                                   structuredContent: Optional.some(result.mcpValue), isError: false)
        case .toolError(let message):
            return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
        case .forwarded(let result):
            return result
        }
    }

    private static let contextKeys: Set<String> = ["user", "team", "session"]

    private func context(_ arguments: MCPArguments, namespace: String? = nil) throws -> RoutingContext {
        RoutingContext(user: try arguments.string("user"), team: try arguments.string("team"), session: try arguments.string("session"),
                       namespace: namespace)
    }

    private func findTools(_ values: [String: JSONValue]?, on gantry: AgentGantry) async throws -> JSONValue {
        let arguments = try MCPArguments(values, of: Name.findTools.rawValue, known: Self.contextKeys.union(["query", "limit", "namespace"]))
        let limit = try arguments.integer("limit") ?? 5
        guard (1...100).contains(limit) else { throw MCPArguments.Mistake(message: "find_tools: \"limit\" must be from 1 to 100, not \(limit)") }
        // Tools of servers that are down are left out: ask for more, keep the first of the others.
        let down = await upstreams?.unavailableServers ?? []
        let retrieval = try await gantry.retrieveTools(try arguments.requiredString("query"), limit: down.isEmpty ? limit : min(100, limit * 2 + 10),
                                                       context: try context(arguments, namespace: try arguments.string("namespace")))
        let available = retrieval.filter { match in
            guard let (server, _) = UpstreamDeclarations.split(match.tool.name), match.tool.namespace == server else { return true }
            return !down.contains(server)
        }
        let tools: [JSONValue] = available.prefix(limit).map { match in
            .object(["name": .string(ProviderNames.exported(match.tool.name)), "description": .string(match.tool.description),
                     "inputSchema": match.tool.parameters ?? .object(["type": .string("object")]), "score": .number(match.score)])
        }
        return .object(["retrieval": .string(retrieval.id.description), "tools": .array(tools)])
    }

    private func reportOutcome(_ values: [String: JSONValue]?, on gantry: AgentGantry) async throws -> JSONValue {
        let arguments = try MCPArguments(values, of: Name.reportOutcome.rawValue, known: Self.contextKeys.union(["tool", "outcome", "retrieval", "latency_ms"]))
        let text = try arguments.requiredString("outcome")
        guard let outcome = ExecutionOutcome(rawValue: text), outcome != .wrongTool else {
            throw MCPArguments.Mistake(message: "report_outcome: \"outcome\" is success, failure or timeout, not \"\(text)\" (a wrong tool: report_wrong_tool)")
        }
        var latency: Duration?
        if let milliseconds = try arguments.number("latency_ms") {
            guard milliseconds.isFinite, milliseconds >= 0, milliseconds < 1e12 else {
                throw MCPArguments.Mistake(message: "report_outcome: \"latency_ms\" must be from 0 to 1e12")
            }
            latency = .microseconds(Int64((milliseconds * 1000).rounded()))
        }
        let tool = await names.resolve(try arguments.requiredString("tool"), on: gantry)
        try await record(outcome, of: tool, retrieval: try retrievalID(arguments, required: false), after: latency,
                         context: try context(arguments), on: gantry)
        return .object(["recorded": .bool(true)])
    }

    private func reportWrongTool(_ values: [String: JSONValue]?, on gantry: AgentGantry) async throws -> JSONValue {
        let arguments = try MCPArguments(values, of: Name.reportWrongTool.rawValue, known: Self.contextKeys.union(["retrieval", "tool", "correct"]))
        let retrieval = try retrievalID(arguments, required: true)!
        let tool = await names.resolve(try arguments.requiredString("tool"), on: gantry), context = try context(arguments)
        if let correct = try arguments.string("correct") {
            try await gantry.recordFeedback(retrieval: retrieval, selectedTool: tool, correctTool: await names.resolve(correct, on: gantry),
                                            context: context)
        } else {
            try await gantry.recordExecution(retrieval: retrieval, tool: tool, outcome: .wrongTool, context: context)
        }
        return .object(["recorded": .bool(true)])
    }

    private func callTool(_ values: [String: JSONValue]?, on gantry: AgentGantry) async throws -> Outcome {
        guard let upstreams else { return .toolError("no MCP servers are declared") }
        let arguments = try MCPArguments(values, of: Name.callTool.rawValue, known: Self.contextKeys.union(["name", "arguments", "retrieval"]))
        let name = await names.resolve(try arguments.requiredString("name"), on: gantry)
        guard let tool = gantry.tool(named: name), let (server, original) = UpstreamDeclarations.split(name), tool.namespace == server else {
            throw MCPArguments.Mistake(message: "call_tool: \"\(name)\" is not a tool of a declared MCP server (call a tool find_tools returned)")
        }
        let forwarded = try arguments.object("arguments")
        let retrieval = try retrievalID(arguments, required: false), context = try context(arguments)
        let started = ContinuousClock.now
        let result: CallTool.Result, outcome: ExecutionOutcome
        do {
            result = try await upstreams.call(server: server, tool: original, arguments: forwarded?.mapValues(\.mcpValue))
            outcome = result.isError == true ? .failure : .success
        } catch UpstreamSupervisor.CallError.unavailable(let server, let reason) {
            return .toolError("the MCP server \(server) is not available (\(reason)); try another tool")
        } catch let error as UpstreamSupervisor.CallError {
            // A call the server did not answer in time timed out; one it exited during failed.
            let outcome: ExecutionOutcome = if case .timedOut = error { .timeout } else { .failure }
            try await record(outcome, of: name, retrieval: retrieval, after: ContinuousClock.now - started, context: context, on: gantry)
            return .toolError(error.description)
        } catch {
            try await record(.failure, of: name, retrieval: retrieval, after: ContinuousClock.now - started, context: context, on: gantry)
            return .toolError("the MCP server \(server) failed the call: \(error)")
        }
        try await record(outcome, of: name, retrieval: retrieval, after: ContinuousClock.now - started, context: context, on: gantry)
        return .forwarded(result)
    }

    /// Records how a call ended (linked to its retrieval when given).
    private func record(_ outcome: ExecutionOutcome, of tool: String, retrieval: RetrievalID?, after latency: Duration?,
                        context: RoutingContext, on gantry: AgentGantry) async throws {
        if let retrieval {
            try await gantry.recordExecution(retrieval: retrieval, tool: tool, outcome: outcome, latency: latency, context: context)
        } else {
            try await gantry.recordExecution(tool: tool, outcome: outcome, latency: latency, context: context)
        }
    }

    private func retrievalID(_ arguments: MCPArguments, required: Bool) throws(MCPArguments.Mistake) -> RetrievalID? {
        guard let text = required ? try arguments.requiredString("retrieval") : try arguments.string("retrieval") else { return nil }
        guard let id = RetrievalID(text) else {
            throw MCPArguments.Mistake(message: "\"retrieval\" must be the id find_tools answered (16 hexadecimal digits), not \"\(text)\"")
        }
        return id
    }
}
