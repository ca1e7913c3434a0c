import MCP

extension MCPToolbox {
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
}
