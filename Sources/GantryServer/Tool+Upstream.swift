import AgentGantry

extension Tool {
    /// The registry's entry for the tool `name` of the MCP server `server`: registered as
    /// `<server>__<name>` in the namespace `server` with the tag `mcp`, described by its
    /// description (or its title, or its name when it has neither), its input schema as the
    /// parameters.
    static func upstream(server: String, name: String, title: String?, description: String?, schema: JSONValue) -> Tool {
        let text = [description, title].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty } ?? name
        return Tool(name: UpstreamDeclarations.registeredName(server: server, tool: name), description: text, tags: ["mcp"],
                    namespace: server, parameters: schema)
    }
}

/// AgentGantry's `Tool`, named where the MCP SDK's `Tool` is in scope too.
typealias GantryTool = Tool
