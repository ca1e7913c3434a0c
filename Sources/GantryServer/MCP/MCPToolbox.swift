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

    /// The definitions `tools/list` answers: `call_tool`'s only with servers declared.
    var definitions: [MCP.Tool] {
        upstreams == nil ? Self.reportingDefinitions : Self.reportingDefinitions + [Self.callToolDefinition]
    }

    private static let callToolDefinition = MCP.Tool(
        name: Name.callTool.rawValue,
        title: "Call a tool",
        description: "Call one of the tools find_tools returned, by its name, with arguments that follow its inputSchema. "
            + "Returns that tool's own result. Pass the retrieval id find_tools gave, so that AgentGantry learns from the outcome.",
        inputSchema: schema(properties: [
            "name": ["type": "string", "description": "The tool's name, as find_tools gave it."],
            "arguments": ["type": "object", "description": "The tool's arguments, as its inputSchema says."],
            "retrieval": ["type": "string", "description": "The retrieval id find_tools gave."],
        ], required: ["name"]),
        annotations: .init(openWorldHint: true)
    )

    private static let reportingDefinitions: [MCP.Tool] = [
        MCP.Tool(
            name: Name.findTools.rawValue,
            title: "Find tools",
            description: "Find the tools that can do a request, among every tool registered with AgentGantry. Returns the "
                + "best ones, best first, each with its definition (name, description, inputSchema) and a score, and a "
                + "retrieval id: pass it to report_outcome or report_wrong_tool once you have called one of them.",
            inputSchema: schema(properties: [
                "query": ["type": "string", "description": "The request, in words (what the user wants done)."],
                "limit": ["type": "integer", "minimum": 1, "maximum": 100, "default": 5, "description": "How many tools to return."],
                "namespace": ["type": "string", "description": "Only tools of this namespace."],
            ], required: ["query"]),
            annotations: .init(readOnlyHint: false, openWorldHint: false),
            outputSchema: .object([
                "type": "object",
                "properties": .object([
                    "retrieval": ["type": "string", "description": "The id to report outcomes against (16 hexadecimal digits)."],
                    "tools": .object([
                        "type": "array",
                        "items": .object([
                            "type": "object",
                            "properties": .object([
                                "name": ["type": "string"], "description": ["type": "string"],
                                "inputSchema": ["type": "object"], "score": ["type": "number"],
                            ]),
                            "required": ["name", "description", "inputSchema", "score"],
                        ]),
                    ]),
                ]),
                "required": ["retrieval", "tools"],
            ])
        ),
        MCP.Tool(
            name: Name.reportOutcome.rawValue,
            title: "Report a tool call's outcome",
            description: "Report how a call of a tool ended: success, failure or timeout. With the retrieval id that "
                + "find_tools gave, a success teaches AgentGantry to route this request to the tool.",
            inputSchema: schema(properties: [
                "tool": ["type": "string", "description": "The tool called, by the name find_tools gave."],
                "outcome": ["type": "string", "enum": ["success", "failure", "timeout"]],
                "retrieval": ["type": "string", "description": "The retrieval id find_tools gave."],
                "latency_ms": ["type": "number", "minimum": 0, "description": "How long the call took, in milliseconds."],
            ], required: ["tool", "outcome"]),
            annotations: .init(idempotentHint: false, openWorldHint: false)
        ),
        MCP.Tool(
            name: Name.reportWrongTool.rawValue,
            title: "Report a wrong tool",
            description: "Report that a tool find_tools offered cannot do the request, and, if you know it, which "
                + "registered tool can (correct). AgentGantry learns from it not to offer that tool for such requests.",
            inputSchema: schema(properties: [
                "retrieval": ["type": "string", "description": "The retrieval id find_tools gave."],
                "tool": ["type": "string", "description": "The tool that was wrong."],
                "correct": ["type": "string", "description": "The tool that can do the request, if known."],
            ], required: ["retrieval", "tool"]),
            annotations: .init(idempotentHint: false, openWorldHint: false)
        ),
    ]

    /// An input schema of `properties`, the routing context's beside them.
    private static func schema(properties: [String: Value], required: [String]) -> Value {
        var all = properties
        all["user"] = ["type": "string", "description": "The user the request is for (per-user preferences)."]
        all["team"] = ["type": "string", "description": "The user's team (per-team preferences)."]
        all["session"] = ["type": "string", "description": "The conversation the request belongs to."]
        return .object(["type": "object", "properties": .object(all), "required": .array(required.map(Value.string)),
                        "additionalProperties": false])
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
        let tool = await names.resolve(try arguments.requiredString("tool"), on: gantry), context = try context(arguments)
        if let retrieval = try retrievalID(arguments, required: false) {
            try await gantry.recordExecution(retrieval: retrieval, tool: tool, outcome: outcome, latency: latency, context: context)
        } else {
            try await gantry.recordExecution(tool: tool, outcome: outcome, latency: latency, context: context)
        }
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

    /// Records how a forwarded call ended (linked to its retrieval when given).
    private func record(_ outcome: ExecutionOutcome, of tool: String, retrieval: RetrievalID?, after latency: Duration,
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
