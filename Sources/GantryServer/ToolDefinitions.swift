import AgentGantry

/// Tools as agents' platforms define them, read into `Tool`s: an OpenAI function
/// (`{"type": "function", "function": {name, description, parameters}}`, or the flat form of the
/// Responses API), an Anthropic tool (`{name, description, input_schema}`), an MCP tool
/// (`{name, title?, description, inputSchema}`), or AgentGantry's own (`{name, description,
/// parameters?, tags?, namespace?, examples?, deprecated?}`). Any of them may also carry
/// AgentGantry's `tags`, `namespace`, `examples` and `deprecated` beside the definition.
public enum ToolDefinitions {
    /// The tool `definition` defines, in any of the forms above; `GantryError.invalidInput`
    /// naming `position` (where the definition was, for the message) and what is wrong.
    public static func parse(_ definition: JSONValue, position: String) throws(GantryError) -> Tool {
        do { return try tool(definition, position: position) } catch { throw .invalidInput(error.message) }
    }

    /// The tool `value` defines; `APIError.badRequest` naming `position` and what is missing.
    static func tool(_ value: JSONValue, position: String) throws(APIError) -> Tool {
        guard case .object(let fields) = value else { throw .badRequest("\(position) must be an object (a tool definition)") }
        var definition = fields
        if case .string("function")? = fields["type"], case .object(let function)? = fields["function"] {
            definition = function  // OpenAI's chat-completions form; AgentGantry's extras stay beside it
        }
        guard case .string(let name)? = definition["name"] else { throw .badRequest("\(position) has no \"name\" (a string)") }
        let description: String
        switch definition["description"] ?? fields["description"] {
        case .string(let text)?: description = text
        case nil, .null?:
            // MCP allows a tool without a description; its title then stands in.
            guard case .string(let title)? = definition["title"] else { throw .badRequest("\(position) (\(name)) has no \"description\" (a string)") }
            description = title
        default: throw .badRequest("\(position) (\(name)): \"description\" must be a string")
        }
        var schema: JSONValue?
        for key in ["parameters", "input_schema", "inputSchema"] {
            guard let value = definition[key], value != .null else { continue }
            guard case .object = value else { throw .badRequest("\(position) (\(name)): \"\(key)\" must be a JSON schema object") }
            guard schema == nil else { throw .badRequest("\(position) (\(name)) gives more than one of parameters, input_schema and inputSchema") }
            schema = value
        }
        func strings(_ key: String) throws(APIError) -> [String] {
            guard let value = fields[key] ?? definition[key], value != .null else { return [] }
            guard let strings = value.strings else { throw .badRequest("\(position) (\(name)): \"\(key)\" must be an array of strings") }
            return strings
        }
        let namespace: String
        switch fields["namespace"] ?? definition["namespace"] {
        case nil, .null?: namespace = "default"
        case .string(let value)?: namespace = value
        default: throw .badRequest("\(position) (\(name)): \"namespace\" must be a string")
        }
        let deprecated: Bool
        switch fields["deprecated"] ?? definition["deprecated"] {
        case nil, .null?: deprecated = false
        case .bool(let value)?: deprecated = value
        default: throw .badRequest("\(position) (\(name)): \"deprecated\" must be true or false")
        }
        return Tool(name: name, description: description, tags: try strings("tags"), namespace: namespace, parameters: schema,
                    examples: try strings("examples"), deprecated: deprecated)
    }
}
