import AgentGantry
import Foundation

/// What each endpoint does with its tenant's gantry: a request's JSON in, the answer's JSON out.
/// HTTP itself (authentication, limits, status lines) is `GantryHTTPServer`'s.
struct Endpoints: Sendable {
    let jobs: TrainingJobs
    /// Tools named by their exported names (`ProviderNames`) found.
    private let names = ToolNameResolver()

    init(jobs: TrainingJobs) { self.jobs = jobs }

    // MARK: tools

    /// `POST /v1/tools` `{"tools": [definition, …]}`: registers the tools, or updates those
    /// registered under their names, all or none. Definitions: `ToolDefinitions`.
    func register(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: ["tools"])
        guard case .array(let definitions)? = fields.value("tools"), !definitions.isEmpty else {
            throw APIError.badRequest("\"tools\" must be a non-empty array of tool definitions")
        }
        var tools = [Tool]()
        for (i, definition) in definitions.enumerated() { tools.append(try ToolDefinitions.tool(definition, position: "tools[\(i)]")) }
        try await Self.checkProviderNames(of: tools, on: gantry)
        try await gantry.register(tools)
        return .object(["registered": .number(Double(tools.count)), "tools": .number(Double(await gantry.tools.count))])
    }

    /// Throws a 409 when a tool's name or exported name (`ProviderNames`) is another tool's name
    /// or exported name: a report under it could not tell them apart.
    private static func checkProviderNames(of tools: [Tool], on gantry: AgentGantry) async throws(APIError) {
        let updating = Set(tools.map(\.name))
        var holder = [String: String]()
        for tool in await gantry.tools where !updating.contains(tool.name) {
            holder[tool.name] = tool.name
            holder[ProviderNames.exported(tool.name)] = tool.name
        }
        for tool in tools {
            for name in Set([tool.name, ProviderNames.exported(tool.name)]) {
                if let other = holder[name], other != tool.name {
                    throw APIError(status: .conflict, code: "name_clash",
                                   message: "tool \"\(tool.name)\" would answer to \"\(name)\", which names the tool \"\(other)\" for the model providers")
                }
                holder[name] = tool.name
            }
        }
    }

    /// `GET /v1/tools`: every registered tool, with its name as the providers get it.
    func tools(on gantry: AgentGantry) async -> JSONValue {
        .object(["tools": .array(await gantry.tools.map { tool in
            .object(["name": .string(tool.name), "exported_name": .string(ProviderNames.exported(tool.name)),
                     "description": .string(tool.description), "namespace": .string(tool.namespace),
                     "tags": .array(tool.tags.map(JSONValue.string)), "deprecated": .bool(tool.deprecated),
                     "parameters": tool.parameters ?? .null])
        })])
    }

    /// `DELETE /v1/tools/{name}`: removes the tool (by its name or exported name).
    func remove(_ name: String, on gantry: AgentGantry) async throws -> JSONValue {
        try await gantry.remove(await resolve(name, on: gantry))
        return .object(["removed": .string(name)])
    }

    // MARK: retrieval

    /// `POST /v1/retrieve` `{"query", "limit"?, "user"?, "team"?, "session"?, "namespace"?,
    /// "tags"?}`: the best tools with their score breakdown, the retrieval's id for reports, and
    /// the tools ready to send to OpenAI (`openai_tools`) and Anthropic (`anthropic_tools`), named
    /// as those providers accept (`ProviderNames`).
    func retrieve(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: RequestFields.contextFields.union(["query", "limit"]))
        let retrieval = try await gantry.retrieveTools(try fields.requiredString("query"), limit: try fields.integer("limit") ?? 5,
                                                       context: try fields.context())
        var openAI = [JSONValue](), anthropic = [JSONValue](), matches = [JSONValue]()
        for match in retrieval {
            var tool = match.tool
            tool.name = ProviderNames.exported(tool.name)
            openAI.append(tool.openAIFunction)
            anthropic.append(tool.anthropicTool)
            matches.append(.object([
                "tool": .string(match.tool.name), "exported_name": .string(tool.name), "score": .number(match.score),
                "pinned": .bool(match.pinned), "breaker": .string(match.breaker.description),
                "signals": .object(Dictionary(uniqueKeysWithValues: Signal.allCases.map { ($0.name, JSONValue.number(match.breakdown[$0])) })),
            ]))
        }
        return .object(["retrieval": .string(retrieval.id.description), "matches": .array(matches),
                        "openai_tools": .array(openAI), "anthropic_tools": .array(anthropic)])
    }

    // MARK: reports

    /// `POST /v1/selections` `{"retrieval", "tool", context…}`: the agent picked `tool` from the
    /// retrieval's shortlist.
    func selection(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: RequestFields.contextFields.union(["retrieval", "tool"]))
        try await gantry.recordSelection(retrieval: try retrievalID(fields), tool: await resolve(try fields.requiredString("tool"), on: gantry),
                                         context: try fields.context())
        return .object(["recorded": .bool(true)])
    }

    /// `POST /v1/executions` `{"tool", "outcome", "retrieval"?, "latency_ms"?, context…}`: how a
    /// call ended (`success`, `failure`, `timeout`, or — with the retrieval — `wrong_tool`).
    func execution(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: RequestFields.contextFields.union(["retrieval", "tool", "outcome", "latency_ms"]))
        let text = try fields.requiredString("outcome")
        guard let outcome = ExecutionOutcome(rawValue: text) else {
            throw APIError.badRequest("\"outcome\" must be one of \(ExecutionOutcome.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(text)\"")
        }
        var latency: Duration?
        if let milliseconds = try fields.number("latency_ms") {
            guard milliseconds.isFinite, milliseconds >= 0, milliseconds < 1e12 else { throw APIError.badRequest("\"latency_ms\" must be from 0 to 1e12") }
            latency = .microseconds(Int64((milliseconds * 1000).rounded()))
        }
        let tool = await resolve(try fields.requiredString("tool"), on: gantry), context = try fields.context()
        guard outcome != .wrongTool || fields.value("retrieval") != nil else {
            throw APIError.badRequest("a wrong_tool outcome names the retrieval that offered the tool (\"retrieval\")")
        }
        if fields.value("retrieval") != nil {
            try await gantry.recordExecution(retrieval: try retrievalID(fields), tool: tool, outcome: outcome, latency: latency, context: context)
        } else {
            try await gantry.recordExecution(tool: tool, outcome: outcome, latency: latency, context: context)
        }
        return .object(["recorded": .bool(true)])
    }

    /// `POST /v1/feedback` `{"correct", "retrieval" | "query", "selected"?, context…}`: the tool
    /// that was right for a retrieval (or a query), and the one picked instead.
    func feedback(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: RequestFields.contextFields.union(["retrieval", "query", "correct", "selected"]))
        let correct = await resolve(try fields.requiredString("correct"), on: gantry)
        var selected = try fields.string("selected")
        if let name = selected { selected = await resolve(name, on: gantry) }
        let context = try fields.context()
        switch (fields.value("retrieval"), try fields.string("query")) {
        case (_?, nil):
            try await gantry.recordFeedback(retrieval: try retrievalID(fields), selectedTool: selected, correctTool: correct, context: context)
        case (nil, let query?):
            try await gantry.recordFeedback(query: query, selectedTool: selected, correctTool: correct, context: context)
        case (nil, nil):
            throw APIError.badRequest("feedback names the request: \"retrieval\" (an id a retrieval answered) or \"query\" (its text)")
        default:
            throw APIError.badRequest("feedback names either \"retrieval\" (an id a retrieval answered) or \"query\" (a text), not both")
        }
        return .object(["recorded": .bool(true)])
    }

    /// `POST /v1/forget` `{"user"}`: deletes everything stored of the user.
    func forget(_ body: Data, on gantry: AgentGantry) async throws -> JSONValue {
        let fields = try RequestFields(body, known: ["user"])
        return .object(["events_deleted": .number(Double(try await gantry.forget(user: try fields.requiredString("user"))))])
    }

    // MARK: training and state

    /// `POST /v1/train`: starts training (202 with the job; the running one if one runs).
    func train(_ tenant: String, on gantry: AgentGantry) async -> (job: Int, started: Bool) {
        await jobs.start(tenant, on: gantry)
    }

    /// `GET /v1/train/{job}`: the job's state, and what training did once it finished.
    func trainingJob(_ tenant: String, _ text: String) async throws -> JSONValue {
        guard let job = Int(text), let state = await jobs.state(tenant, job) else { throw APIError.notFound("no training job \(text)") }
        switch state {
        case .running:
            return .object(["job": .number(Double(job)), "state": .string("running")])
        case .failed(let reason):
            return .object(["job": .number(Double(job)), "state": .string("failed"), "error": .string(reason)])
        case .finished(let summary):
            return .object(["job": .number(Double(job)), "state": .string("finished"), "applied": .bool(summary.applied),
                            "reason": summary.reason.map(JSONValue.string) ?? .null, "events": .number(Double(summary.events)),
                            "requests": .number(Double(summary.requests)),
                            "more_requests_needed": summary.moreRequestsNeeded.map { .number(Double($0)) } ?? .null,
                            "adapter_version": summary.adapterVersion.map { .number(Double($0)) } ?? .null])
        }
    }

    /// `GET /v1/breakers`: the tools whose circuit breaker is not closed.
    func breakers(on gantry: AgentGantry) async -> JSONValue {
        .object(["breakers": .object(await gantry.nonClosedBreakers().mapValues { .string($0.description) })])
    }

    // MARK: MCP servers

    /// `GET /v1/mcp/servers`: the tenant's declared MCP servers, each with its state.
    func mcpServers(_ upstreams: UpstreamSupervisor?) async -> JSONValue {
        guard let upstreams else { return .object(["servers": .array([])]) }
        return .object(["servers": .array(await upstreams.servers.map { server, state in
            var fields: [String: JSONValue] = ["name": .string(server.name), "enabled": .bool(server.enabled)]
            switch state {
            case .starting: fields["state"] = .string("starting")
            case .running(let tools): (fields["state"], fields["tools"]) = (.string("running"), .number(Double(tools)))
            case .waiting(let reason, let retryAt):
                let seconds = max(0, (retryAt - .now).components.seconds)
                (fields["state"], fields["reason"], fields["retry_in_s"]) = (.string("waiting"), .string(reason), .number(Double(seconds)))
            case .disabled: fields["state"] = .string("disabled")
            }
            return .object(fields)
        })])
    }

    /// `POST /v1/mcp/servers/{name}/enable` and `…/disable`: starts or stops a declared server now
    /// and keeps the choice in the tenant's servers file.
    func setMCPServer(_ name: String, enabled: Bool, _ upstreams: UpstreamSupervisor?) async throws -> JSONValue {
        guard let upstreams, await upstreams.servers.contains(where: { $0.server.name == name }) else {
            throw APIError.notFound("no MCP server \(name) is declared for this tenant (servers are declared with `gantry mcp add`, never over HTTP)")
        }
        try await upstreams.setEnabled(name, enabled)
        return .object(["name": .string(name), "enabled": .bool(enabled)])
    }

    // MARK: helpers

    private func retrievalID(_ fields: RequestFields) throws -> RetrievalID {
        let text = try fields.requiredString("retrieval")
        guard let id = RetrievalID(text) else { throw APIError.badRequest("\"retrieval\" must be an id a retrieval answered (16 hexadecimal digits), not \"\(text)\"") }
        return id
    }

    private func resolve(_ name: String, on gantry: AgentGantry) async -> String { await names.resolve(name, on: gantry) }
}
